//! Views of the running system from procfs(5): mount tables, memory, and
//! the processes that hold a filesystem.

pub mod holders;
pub mod init;
pub mod meminfo;
pub mod mountinfo;
