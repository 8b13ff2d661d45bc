#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::app::main_entry("bd", |shutdown| async move {
        let config = bd::Config::from_env()?;
        bd::run(config, shutdown).await
    })
    .await
}
