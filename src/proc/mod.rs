//! Views of the running system from procfs(5): mount tables, memory, and
//! the processes that hold a filesystem.

pub mod holders;
pub mod init;
pub mod meminfo;
pub mod mountinfo;
pub mod status;

/// The processes in /proc now, as (pid, /proc/PID). A process may exit at
/// any moment: what is read under its directory may then be missing.
pub fn processes() -> impl Iterator<Item = (u32, std::path::PathBuf)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((pid, e.path()))
        })
}
