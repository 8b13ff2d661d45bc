//! The `dev-iam` binary: start-up, a taken port, graceful shutdown.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("dev-iam-bin-{}", uuid::Uuid::now_v7()))
}

fn command(port: u16, key_dir: &PathBuf) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dev-iam"));
    c.env("PORT", port.to_string())
        .env("DEV_IAM_KEY_DIR", key_dir)
        .env("DEV_IAM_ISSUER", format!("http://127.0.0.1:{port}"))
        .env_remove("DEV_IAM_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_taken_port_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = temp_dir();
    let output = command(port, &dir).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("dev-iam: cannot listen on"),
        "{stderr}"
    );
    assert!(lines[0].contains("already in use"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_setting_is_one_clear_line() {
    let dir = temp_dir();
    let output = command(0, &dir)
        .env("DEV_IAM_TOKEN_TTL_SECS", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("dev-iam: DEV_IAM_TOKEN_TTL_SECS"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn it_serves_and_stops_on_sigterm() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = temp_dir();
    let mut child = command(port, &dir).spawn().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = false;
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream
                .write_all(b"GET /.well-known/jwks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            if response.starts_with("HTTP/1.1 200") && response.contains("\"RS256\"") {
                ready = true;
                break;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("dev-iam exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "dev-iam did not come up");
    assert!(dir.join(dev_iam::KEY_FILE).exists());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "dev-iam ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(dir);
}
