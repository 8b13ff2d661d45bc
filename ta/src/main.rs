#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::app::main_entry("ta", |shutdown| async move {
        let config = ta::Config::from_env()?;
        ta::run(config, shutdown).await
    })
    .await
}
