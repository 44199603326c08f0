//! The public API of a runtime crate, as one list: `relay-tokio` and `relay-smol` expand
//! it, so both offer exactly the same names and neither can drift from the other.

/// Re-exports the client API at the top of a runtime crate, transport pieces under
/// `transport`, and the tooling modules behind the runtime crate's own `receiver` and
/// `testkit` features.
#[doc(hidden)]
#[macro_export]
macro_rules! runtime_crate_api {
    () => {
        pub use $crate::driver::{
            ActionHandle, AiAction, Call, CallEnd, CallEvents, Client, ClientBuilder, ClientEvent,
            CollectAction, ConnectError, DetectAction, DisconnectReason, Error, FaxAction,
            IncomingCalls, PayAction, PlayAction, PromptAction, RecordAction, SendDigitsAction,
            StreamAction, TapAction, TlsFailure, TranscribeAction, TransportError, DEFAULT_HOST,
            EVENT_BUFFER,
        };
        pub use $crate::driver::{IncomingMessages, MessageHandle, INCOMING_MESSAGES};
        // Call control (§2).
        pub use $crate::driver::{ConferenceEvents, QueueEntry};
        pub use $crate::{
            ActionDescriptor, ActionEvent, ActionKind, ActionOutcome, ActionRequest, ActionResult,
            ActionState, AiMessage, AiOptions, BackoffConfig, CallEvent, CallId, CallInfo,
            CallState, Codec, CollectInput, CollectOptions, CollectResult, CommandError,
            ConfigError, ControlId, Credentials, DetectOptions, DetectResult, Detection, Detector,
            Device, DialError, DialPlan, DialTag, DigitsOptions, Direction, EchoOptions, EndReason,
            Event, FaxResult, FaxTone, Gender, HttpMethod, MediaDirection, NodeId, PauseBehavior,
            PayOptions, PlayMedia, PlayOptions, PromptOptions, ProtocolError, ReceiveFaxOptions,
            RecordFormat, RecordOptions, RecordResult, RequestError, SendDigitsOptions,
            SendFaxOptions, SessionError, SpeechOptions, StreamOptions, TapDevice, TapOptions,
            TerminalRule, Track, TranscribeOptions, TranscribeResult,
        };
        pub use $crate::{Message, MessageError, MessageId, MessageState, SendMessage};
        // calling.connect / calling.disconnect and the devices of §2.3.
        pub use $crate::{
            AgoraDevice, CallCodec, CallDevice, ConnectPlan, ConnectState, ConnectUpdate,
            LegOptions, PhoneDevice, QueueDevice, SipDevice, StreamDevice, WebRtcDevice,
        };
        // Call control (§2).
        pub use $crate::{
            AmazonBedrock, BindDigit, CallCommand, CallbackEventType, ClearDigitBindings,
            ConferenceBeep, ConferenceEvent, ConferenceRecord, ConferenceRegion, ConferenceStream,
            ConferenceTrim, JoinConference, JoinRoom, JoinedConference, LeaveConference,
            LiveAction, LiveTranscribe, LiveTranslate, QueueEnter, QueueEvent, QueueLeave, Refer,
            ReferDevice, ReferEvent, SimpleControl, Transfer, TransferDest, UserEvent,
        };

        /// JSON values, for [`Client::execute`] and custom parameters built by hand.
        pub mod json {
            pub use $crate::__private::serde_json::{json, Map, Value};
        }

        /// The pieces under the client, for those who plug in their own runtime or
        /// connection: [`transport::Runtime`], [`transport::Connector`],
        /// [`transport::Transport`].
        pub mod transport {
            pub use $crate::driver::{
                connect_websocket, tls_client_config, ByteStream, ConnectOptions, Connector,
                FrameReader, FrameWriter, Runtime, Transport, WsConnector, WsTransport,
            };
        }

        /// The other end of `calling.stream`: receive a call's audio on your own server
        /// (feature `receiver`).
        #[cfg(feature = "receiver")]
        pub mod receiver {
            pub use $crate::receiver::*;
        }

        /// Stream messages, G.711 µ-law and A-law, the per-track assembler and WAV (feature
        /// `receiver` or `testkit`).
        #[cfg(any(feature = "receiver", feature = "testkit"))]
        pub mod media {
            pub use $crate::media::*;
        }

        /// Test your app without a network: [`testkit::MemoryRelay`] runs the client against
        /// a fake RELAY service in memory on virtual time; [`testkit::SimServer`] serves the
        /// same fake service on real sockets (feature `testkit`).
        #[cfg(feature = "testkit")]
        pub mod testkit {
            pub use $crate::sim::{
                AnsweredBy, CallerInput, CallerScript, FakeRelay, Fault, FaxScript, MediaJob,
                PayScript, RecordingScript, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER,
            };
            pub use $crate::sim::{
                FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL, UNDELIVERED_NUMBER,
                UNDELIVERED_REASON,
            };
            pub use $crate::testkit::*;
        }
    };
}
