#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::app::main_entry("ats", |shutdown| async move {
        let config = ats::Config::from_env()?;
        ats::run(config, shutdown).await
    })
    .await
}
