//! [`Call::connect`] and [`Call::disconnect`] (`docs/CALLING-API.md` [§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): bridge a call to
//! the devices of a plan, get the peer as a [`Call`] of its own, and see the bridge end.
//!
//! The waits read the call's own event stream, subscribed before the request goes out, so
//! no event is missed and dropping a wait spoils nothing.

use super::call::Call;
use super::error::Error;
use crate::call::CallInfo;
use crate::call_event::CallEvent;
use crate::connect::{ConnectPlan, ConnectState};
use futures_util::StreamExt;
use std::sync::Arc;

/// The latest connect state of a call and its peer, kept by the event loop in the call's
/// record (`Rare::connect`).
#[derive(Default)]
pub(crate) struct ConnectStatus {
    state: Option<ConnectState>,
    peer: Option<Arc<CallInfo>>,
}

impl CallInfo {
    /// Records a `calling.call.connect`; a peer named by it replaces the one before.
    pub(crate) fn set_connect(&self, state: ConnectState, peer: Option<Arc<CallInfo>>) {
        self.with_rare(|rare| {
            let status = &mut rare.connect;
            if state == ConnectState::Failed {
                status.peer = None;
            } else if peer.is_some() {
                status.peer = peer;
            }
            status.state = Some(state);
        });
    }
}

impl Call {
    /// Bridges this call to the devices of `plan` (`calling.connect`) and waits until one
    /// answers: the peer comes back as a [`Call`] of its own (hang it up, play to it, wait for
    /// its end). Fails with [`Error::ConnectFailed`] and the service's reason when no device
    /// answers, [`Error::CallGone`] when this call ends first (or its session is replaced by
    /// a fresh one), [`Error::Closed`] when the client shuts down. Cancel-safe: dropping it
    /// does not stop the connect.
    ///
    /// ```no_run
    /// # mod relay_tokio { relay_rs_core::runtime_crate_api!(); pub fn client() -> ClientBuilder { unimplemented!() } }
    /// use relay_tokio::{Call, ConnectPlan, Device, Error, PlayMedia};
    /// use std::time::Duration;
    ///
    /// # async fn demo(call: Call) -> Result<(), Error> {
    ///
    /// let agent = Device::phone().from("+15550001111").to("+15550002222").timeout(Duration::from_secs(20));
    /// let peer = call
    ///     .connect(ConnectPlan::single(agent).ringback([PlayMedia::ringtone("us")]))
    ///     .await?;
    /// println!("talking to {}", peer.id());
    /// call.wait_disconnected().await.ok(); // the agent hung up (or the caller did)
    /// # Ok(()) }
    /// ```
    pub async fn connect(&self, plan: ConnectPlan) -> Result<Call, Error> {
        let mut events = self.events();
        let id = self.id().clone();
        self.client
            .request(Box::new(move |engine, now| {
                engine
                    .connect_call(&id, &plan, now)
                    .map(|(request, _)| request)
            }))
            .await
            .map_err(|e| self.gone(e))?;
        while let Some(event) = events.next().await {
            let CallEvent::Connect { update, .. } = event else {
                continue;
            };
            match update.state {
                ConnectState::Connected => {
                    return self.peer().ok_or(Error::ConnectFailed {
                        reason: Some("connected without a peer".into()),
                    })
                }
                ConnectState::Failed => {
                    return Err(Error::ConnectFailed {
                        reason: update.failed_reason,
                    })
                }
                ConnectState::Disconnected => {
                    return Err(Error::ConnectFailed {
                        reason: Some("disconnected before it connected".into()),
                    })
                }
                _ => {}
            }
        }
        Err(self.ended_error())
    }

    /// Ends the bridge without hanging up either leg (`calling.disconnect`); a
    /// `disconnected` follows.
    pub async fn disconnect(&self) -> Result<(), Error> {
        let id = self.id().clone();
        self.client
            .request(Box::new(move |engine, now| {
                engine.disconnect_call(&id, now)
            }))
            .await
            .map(drop)
            .map_err(|e| self.gone(e))
    }

    /// The latest `connect_state` of this call (`None` before any connect).
    pub fn connect_state(&self) -> Option<ConnectState> {
        self.info
            .if_rare(|rare| rare.connect.state.clone())
            .flatten()
    }

    /// The peer of the latest bridge (also after it ended), as a call.
    pub fn peer(&self) -> Option<Call> {
        let info = self.info.if_rare(|rare| rare.connect.peer.clone())??;
        Some(Call {
            info,
            client: self.client.clone(),
        })
    }

    /// Waits until the bridge is over: `Ok` on `disconnected` (the peer hung up, or
    /// [`Call::disconnect`]), and at once when no bridge is up or connecting.
    /// [`Error::CallGone`] when this call ends first, [`Error::Closed`] when the client
    /// does. Cancel-safe.
    pub async fn wait_disconnected(&self) -> Result<(), Error> {
        let mut events = self.events_confirmed().await;
        if !matches!(
            self.connect_state(),
            Some(ConnectState::Connected | ConnectState::Connecting)
        ) {
            return Ok(());
        }
        while let Some(event) = events.next().await {
            if let CallEvent::Connect { update, .. } = &event {
                if matches!(
                    update.state,
                    ConnectState::Disconnected | ConnectState::Failed
                ) {
                    return Ok(());
                }
            }
        }
        Err(self.ended_error())
    }
}
