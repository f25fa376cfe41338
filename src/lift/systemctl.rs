//! systemctl(1), the way a lift talks to systemd: by absolute path (the
//! tmpfs copy while lifted, the real one after the return), with a scrubbed
//! environment.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

pub const PATH: &str = "/usr/bin/systemctl";

/// `systemctl ARGS...`; a non-zero exit is an error naming the command.
pub fn run(args: &[&str]) -> Result<()> {
    let status = Command::new(PATH)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .status()
        .map_err(|e| Error::io("spawn", PATH, &e))?;
    if status.success() {
        return Ok(());
    }
    Err(Error::Command {
        program: format!("{PATH} {}", args.join(" ")),
        status: status.to_string(),
    })
}

/// [`run`] again every second until it succeeds or `timeout` passes: a
/// systemd that has just re-executed answers only once it deserialized.
pub fn run_until_ok(args: &[&str], timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        match run(args) {
            Err(Error::Command { .. }) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_secs(1));
            }
            other => return other,
        }
    }
}
