//! The public API of a runtime crate, as one list: `relay-tokio` and `relay-smol` expand
//! it, so both offer exactly the same names and neither can drift from the other.

/// Re-exports the client API at the top of a runtime crate, transport pieces under
/// `transport`, and the tooling modules behind the runtime crate's own `receiver` and
/// `testkit` features.
#[doc(hidden)]
#[macro_export]
macro_rules! runtime_crate_api {
    () => {
        // The root holds what an app names; the plumbing is in `advanced`.
        pub use $crate::driver::{
            ActionHandle, AiAction, Call, CallEnd, CallEvents, Client, ClientBuilder, ClientEvent,
            CollectAction, DetectAction, DisconnectReason, Error, FaxAction, IncomingCalls,
            OpenError, PayAction, PlayAction, PromptAction, RecordAction, SendDigitsAction,
            StreamAction, TapAction, TlsFailure, TranscribeAction, TransportError,
        };
        pub use $crate::driver::{IncomingMessages, MessageHandle};
        // Call control (§2).
        pub use $crate::driver::DEFAULT_MAX_OUTGOING_BYTES;
        pub use $crate::driver::{ConferenceEvents, QueueEntry};
        pub use $crate::DialState;
        pub use $crate::{
            ActionKind, ActionOutcome, ActionState, AgentConfig, AgentPrompt, AiMessage, AiOptions,
            AiReset, BackoffConfig, CallEvent, CallGone, CallId, CallInfo, CallState, Codec,
            CollectInput, CollectOptions, CollectResult, CommandError, ConfigError, ControlId,
            DetectOptions, DetectResult, Detection, Detector, Device, DialError, DialPlan,
            DigitsOptions, Direction, EchoOptions, EndReason, FaxResult, FaxTone, Gender,
            HttpMethod, MediaDirection, PauseBehavior, PayOptions, PayPrompt, PayPromptAction,
            PlayMedia, PlayOptions, PromptOptions, ReceiveFaxOptions, RecordFormat, RecordOptions,
            RecordResult, RequestError, SendFaxOptions, SessionError, SpeechOptions, StreamOptions,
            TapDevice, TapOptions, Track, TranscribeOptions, TranscribeResult,
        };
        pub use $crate::{Message, MessageError, MessageId, MessageState, Payload, SendMessage};
        // calling.connect / calling.disconnect and the devices of §2.3.
        pub use $crate::{
            AgoraDevice, CallCodec, CallDevice, ConnectPlan, ConnectState, LegOptions, PhoneDevice,
            QueueDevice, SipDevice, StreamDevice, WebRtcDevice,
        };
        // Call control (§2).
        pub use $crate::{
            AmazonBedrock, BindDigit, CallbackEventType, ClearDigitBindings, ConferenceBeep,
            ConferenceEvent, ConferenceRecord, ConferenceRegion, ConferenceStream, ConferenceTrim,
            JoinConference, JoinRoom, JoinedConference, LiveAction, LiveTranslate, QueueEnter,
            QueueEvent, QueueLeave, Refer, ReferDevice, ReferEvent, Transfer, TransferDest,
            UserEvent,
        };

        /// What extends the client rather than uses it: the engine's own events (inside
        /// [`ClientEvent::Engine`]), the traits and descriptors behind typed actions and
        /// commands (for an action or command this library does not type yet, with
        /// `Call::start` and `Call::send_command`), the typed forms of commands `Call` has a
        /// method for, wire ids and protocol errors, buffer sizes.
        pub mod advanced {
            pub use $crate::driver::{DEFAULT_HOST, EVENT_BUFFER, INCOMING_MESSAGES};
            pub use $crate::{
                ActionDescriptor, ActionEvent, ActionRequest, ActionResult, AiHold, AiUnhold,
                CallCommand, ConnectUpdate, Credentials, DialTag, Event, LeaveConference,
                LiveTranscribe, NodeId, ProtocolError, SendDigitsOptions, SimpleControl,
                TerminalRule,
            };
        }

        /// `next()` on the streams of inbound calls, messages and call events
        /// ([`IncomingCalls`], [`CallEvents`], …), without a `futures` dependency of your own.
        #[doc(no_inline)]
        pub use $crate::__private::futures_util::StreamExt;

        /// JSON values, for [`Client::execute`] and custom parameters built by hand.
        pub mod json {
            pub use $crate::__private::serde_json::{json, Map, Value};
        }

        /// The pieces under the client, for those who plug in their own runtime or
        /// connection: [`transport::Runtime`], [`transport::Connector`],
        /// [`transport::Transport`].
        pub mod transport {
            pub use $crate::driver::{
                connect_websocket, tls_client_config, ByteStream, ConnectOptions, Connector, Frame,
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
                AnsweredBy, CallerInput, CallerScript, ConnId, FakeRelay, Fault, FaxScript,
                MediaJob, PayScript, RecordingScript, SimConfig, SimOutput, BUSY_NUMBER,
                NO_ANSWER_NUMBER,
            };
            pub use $crate::sim::{
                FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL, UNDELIVERED_NUMBER,
                UNDELIVERED_REASON,
            };
            pub use $crate::testkit::*;
        }
    };
}
