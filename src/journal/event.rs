//! The journal's event names: every line rootlift writes names one of
//! these, so a typo is a compile error and `status`, the worker and
//! `return` match on the same values the writers use.

/// Declares [`Event`] and its one table of names.
macro_rules! events {
    ($($variant:ident = $name:literal,)*) => {
        /// One kind of journal line, `<stage>.<what>` on disk.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Event {
            $($variant,)*
        }

        impl Event {
            /// Every event, in declaration order.
            pub const ALL: &'static [Event] = &[$(Event::$variant,)*];

            /// The name written into the journal.
            pub fn name(self) -> &'static str {
                match self {
                    $(Event::$variant => $name,)*
                }
            }
        }
    };
}

events! {
    EnterBegin = "enter.begin",
    EnterStep = "enter.step",
    EnterFailed = "enter.failed",
    EnterDone = "enter.done",
    RecordRoot = "record.root",
    // The next two and release.sigterm were written by 0.1.0 (propagation
    // as lines of their own; one SIGTERM line for all holders) and are no
    // longer: they are kept so a journal 0.1.0 left in /run or in
    // /var/log/rootlift.log still parses (journal::tests).
    RecordShared = "record.shared",
    RecordSlave = "record.slave",
    RecordMount = "record.mount",
    RecordSwap = "record.swap",
    RecordUnit = "record.unit",
    JobSpec = "job.spec",
    JobWorker = "job.worker",
    JobWaitConfirm = "job.wait-confirm",
    JobConfirm = "job.confirm",
    JobAbort = "job.abort",
    JobAborted = "job.aborted",
    JobBegin = "job.begin",
    JobStep = "job.step",
    JobExec = "job.exec",
    JobExit = "job.exit",
    JobResult = "job.result",
    JobDisk = "job.disk",
    JobFailed = "job.failed",
    JobDone = "job.done",
    ReleaseBegin = "release.begin",
    ReleaseHolder = "release.holder",
    ReleaseSshKeeper = "release.ssh-keeper",
    ReleaseUnits = "release.units",
    ReleaseWarning = "release.warning",
    ReleaseHandoff = "release.handoff",
    ReleaseStopped = "release.stopped",
    ReleaseSigterm = "release.sigterm", // 0.1.0's, see above
    ReleaseSigkill = "release.sigkill",
    ReleasePark = "release.park",
    ReleaseUnmount = "release.unmount",
    ReleaseSwapoff = "release.swapoff",
    ReleaseUnmounted = "release.unmounted",
    ReleaseFree = "release.free",
    ReleaseDone = "release.done",
    ReleaseRefused = "release.refused",
    ReleaseFailed = "release.failed",
    ReturnBegin = "return.begin",
    ReturnStep = "return.step",
    ReturnFinishJob = "return.finish-job",
    ReturnBlocked = "return.blocked",
    ReturnUnpark = "return.unpark",
    ReturnRecreate = "return.recreate",
    ReturnSwapon = "return.swapon",
    ReturnMountsDiffer = "return.mounts-differ",
    ReturnInitResumed = "return.init-resumed",
    ReturnServices = "return.services",
    ReturnSshHandback = "return.ssh-handback",
    ReturnUp = "return.up",
    ReturnWarning = "return.warning",
    ReturnFailed = "return.failed",
    ReturnDone = "return.done",
    ShutdownBegin = "shutdown.begin",
    ShutdownUnmounted = "shutdown.unmounted",
    ShutdownFree = "shutdown.free",
    ShutdownFailed = "shutdown.failed",
}

impl Event {
    /// The event named `name`, if rootlift writes such an event.
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.iter().copied().find(|e| e.name() == name)
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_one_word_and_parse_back() {
        for (i, e) in Event::ALL.iter().enumerate() {
            let name = e.name();
            assert_eq!(Event::parse(name), Some(*e));
            assert!(!name.contains([' ', '=', '%']), "{name}");
            assert!(
                name.split_once('.')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
            );
            assert!(
                !Event::ALL[..i].iter().any(|o| o.name() == name),
                "{name} twice"
            );
        }
        assert_eq!(Event::parse("job.nothing"), None);
        assert_eq!(Event::parse(""), None);
    }
}
