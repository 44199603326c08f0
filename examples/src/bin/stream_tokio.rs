//! The seed's example on tokio: `SIGNALWIRE_*` and `STREAM_URL` from the environment;
//! ctrl-c shuts the client down gracefully.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::live::run_tokio().await
}
