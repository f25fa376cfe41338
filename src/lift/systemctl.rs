//! systemctl(1), the way a lift talks to systemd: by absolute path (the
//! tmpfs copy while lifted, the real one after the return), with a scrubbed
//! environment.

use crate::spawn::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

pub const PATH: &str = "/usr/bin/systemctl";

/// `systemctl ARGS...`; a non-zero exit is an error naming the command.
pub fn run(args: &[&str]) -> Result<()> {
    let status = Command::new(PATH)
        .args(args)
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .status()
        .map_err(|e| Error::io("spawn", PATH, &e))?;
    if status.success() {
        return Ok(());
    }
    Err(Error::command(
        format!("{PATH} {}", args.join(" ")),
        status.to_string(),
    ))
}

/// `systemctl ARGS...` and its standard output, whatever its exit status.
pub fn capture(args: &[&str]) -> Result<String> {
    let out = Command::new(PATH)
        .args(args)
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .stderr(crate::spawn::Stdio::Null)
        .output()
        .map_err(|e| Error::io("spawn", PATH, &e))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `systemctl is-active UNITS...`: one state per unit, in order (`unknown`
/// for a unit it did not answer for).
pub fn states(units: &[&str]) -> Vec<String> {
    let mut args = vec!["is-active"];
    args.extend(units);
    let text = capture(&args).unwrap_or_default();
    let mut states: Vec<String> = text.lines().map(str::to_owned).collect();
    states.resize(units.len(), "unknown".into());
    states
}

/// The service units systemd has active now (`systemctl list-units`).
pub fn active_services() -> Result<Vec<String>> {
    let text = capture(&[
        "list-units",
        "--type=service",
        "--state=active",
        "--no-legend",
        "--plain",
    ])?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|u| u.ends_with(".service"))
        .map(str::to_owned)
        .collect())
}

/// [`run`] again every second until it succeeds or `timeout` passes: a
/// systemd that has just re-executed answers only once it deserialized.
pub fn run_until_ok(args: &[&str], timeout: Duration) -> Result<()> {
    run_until_ok_timed(args, timeout).map(|_| ())
}

/// [`run_until_ok`], and how long the call that succeeded took.
pub fn run_until_ok_timed(args: &[&str], timeout: Duration) -> Result<Duration> {
    let start = Instant::now();
    loop {
        let call = Instant::now();
        match run(args) {
            Ok(()) => return Ok(call.elapsed()),
            Err(e)
                if matches!(e.kind(), crate::error::Kind::Command { .. })
                    && start.elapsed() < timeout =>
            {
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => return Err(e),
        }
    }
}
