//! Unix signals as the API names them.

use super::open_enum::open_enum;

open_enum! {
    /// A signal name accepted by stop, restart, signal and `stop_config`.
    pub enum Signal {
        /// Hang-up.
        Hup = "SIGHUP",
        /// Interrupt.
        Int = "SIGINT",
        /// Quit.
        Quit = "SIGQUIT",
        /// Kill (cannot be caught).
        Kill = "SIGKILL",
        /// User-defined 1.
        Usr1 = "SIGUSR1",
        /// User-defined 2.
        Usr2 = "SIGUSR2",
        /// Terminate (the usual graceful stop).
        Term = "SIGTERM",
        /// Abort.
        Abrt = "SIGABRT",
        /// Alarm.
        Alrm = "SIGALRM",
        /// Floating-point exception.
        Fpe = "SIGFPE",
        /// Illegal instruction.
        Ill = "SIGILL",
        /// Broken pipe.
        Pipe = "SIGPIPE",
        /// Segmentation fault.
        Segv = "SIGSEGV",
        /// Trace trap.
        Trap = "SIGTRAP",
    }
}
