//! Views of the running system from procfs(5): mount tables and the
//! processes that hold a filesystem.
