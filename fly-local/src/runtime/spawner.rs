//! A dedicated thread that spawns machine processes. Machine processes are
//! tied to their spawning thread's life with `PR_SET_PDEATHSIG` (they die
//! with fly-local, never orphaned); spawning from the async runtime's
//! threads would tie them to threads that may exit at any time.

use std::sync::mpsc;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct Spawner {
    jobs: mpsc::Sender<Job>,
}

impl Spawner {
    /// Starts the thread; it enters the current tokio runtime so that
    /// `tokio::process` children can be spawned from it.
    pub fn start() -> std::io::Result<Self> {
        let handle = tokio::runtime::Handle::current();
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("fly-local-spawner".into())
            .spawn(move || {
                let _guard = handle.enter();
                while let Ok(job) = rx.recv() {
                    job();
                }
            })?;
        Ok(Self { jobs })
    }

    /// Runs `f` on the spawner thread and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
    ) -> std::io::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        rx.await
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
    }
}
