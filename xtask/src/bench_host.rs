//! What the benchmarks that load the host share: processes started for the purpose (plain
//! sleepers, and serve-bench's population of 2,000 with 200 threaded), exporters started on a
//! free loopback port and scraped to the last byte, the CPU time and resident memory of a
//! process, and the processes and threads /proc shows.

use crate::running::Running;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A config naming every process by its comm (process-exporter's all.yaml).
pub const ALL_BY_COMM: &str = "process_names:\n  - name: \"{{.Comm}}\"\n    cmdline: ['.+']\n";

/// Sleepers in serve-bench's population.
pub const SLEEPERS: usize = 1_800;
/// Threaded python3 processes in serve-bench's population, and the threads of each.
pub const THREADED: usize = 200;
pub const THREADS_EACH: usize = 20;

/// Child processes killed together and then reaped on drop: every one is sent its SIGKILL
/// before the first is waited for, so that thousands end in the time of one.
pub struct Crowd(Vec<Running>);

impl Crowd {
    /// How many it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds `more`.
    pub fn extend(&mut self, mut more: Crowd) {
        self.0.append(&mut more.0);
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.0.kill();
        }
        // Each `Running` reaps its child as it drops.
        self.0.clear();
    }
}

/// `count` processes of `program args`, their stdin, stdout and stderr /dev/null (so the
/// children hold no fd of this process); the first that fails to start is the error, and the
/// ones already started are killed and reaped.
fn spawn_many(count: usize, program: &str, args: &[&str]) -> Result<Crowd, String> {
    let mut crowd = Crowd(Vec::with_capacity(count));
    for _ in 0..count {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "starting {program} (process {} of {count}): {e}",
                    crowd.len() + 1
                )
            })?;
        crowd.0.push(Running(child));
    }
    Ok(crowd)
}

/// `count` more `sleep 3600`s.
pub fn sleepers(count: usize) -> Result<Crowd, String> {
    spawn_many(count, "sleep", &["3600"])
}

/// One python3 process of [`THREADS_EACH`] threads, all sleeping.
const THREADED_PYTHON: &str = "import threading,time\n\
     [threading.Thread(target=time.sleep,args=(3600,),daemon=True).start() for _ in range(19)]\n\
     time.sleep(3600)";

/// serve-bench's population: [`SLEEPERS`] `sleep 3600`s and [`THREADED`] python3 processes of
/// [`THREADS_EACH`] threads, returned once every thread has started.
pub fn population() -> Result<Crowd, String> {
    let mut crowd = sleepers(SLEEPERS)?;
    let threaded = spawn_many(THREADED, "python3", &["-c", THREADED_PYTHON])?;
    let deadline = Instant::now() + Duration::from_secs(60);
    for child in &threaded.0 {
        let pid = child.0.id();
        while threads_of(pid) < THREADS_EACH {
            if Instant::now() > deadline {
                return Err(format!(
                    "python3 {pid} has {} of its {THREADS_EACH} threads after 60 s",
                    threads_of(pid)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    crowd.extend(threaded);
    Ok(crowd)
}

/// The names of /proc's entries that are numbers: the processes it shows.
fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The processes /proc shows now.
pub fn processes_on_host() -> usize {
    pids().len()
}

/// The threads of the processes /proc shows now (a process that ends between the listing and
/// its count adds none).
pub fn threads_on_host() -> usize {
    pids().into_iter().map(threads_of).sum()
}

/// The entries of `/proc/<pid>/task`: its threads (0 if it has gone).
fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |dir| dir.count())
}

/// The CPU time a process has used, summed over its threads, to the nanosecond: the first field
/// of each thread's `schedstat` (the clock-tick counts of `stat` are too coarse for a scrape of
/// a few milliseconds).
pub fn cpu_of(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split(' ').next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// A process's resident memory (`VmRSS`), in bytes; 0 if it has gone.
pub fn rss_of(pid: u32) -> i64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<i64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// One HTTP/1.0 GET of /metrics over a plain socket, read to the last byte (std only; a 60 s
/// scrape timeout announced): the body of a 200 answer.
pub fn get(address: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .ok()?;
    let request = format!(
        "GET /metrics HTTP/1.0\r\nHost: {address}\r\nX-Prometheus-Scrape-Timeout-Seconds: 60\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1);
    (head.starts_with("HTTP/1.") && status == Some("200")).then(|| body.to_string())
}

/// One exporter under test: its name, process and address.
pub struct Exporter {
    pub name: &'static str,
    pub process: Running,
    pub address: String,
}

/// What one scrape took: the time from the request to the last byte, the exporter's CPU time
/// over it, and the body (empty where the scrape failed).
pub struct Scrape {
    pub wall: Duration,
    pub cpu: Duration,
    pub body: String,
}

impl Scrape {
    /// The latencies and the CPU times, in seconds, of each contender's scrapes (as
    /// [`rounds_of`](crate::timing::rounds_of) returns them, a list per contender).
    pub fn seconds(scrapes: &[Vec<Scrape>]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let of = |pick: fn(&Scrape) -> Duration| -> Vec<Vec<f64>> {
            scrapes
                .iter()
                .map(|s| s.iter().map(|s| pick(s).as_secs_f64()).collect())
                .collect()
        };
        (of(|s| s.wall), of(|s| s.cpu))
    }
}

impl Exporter {
    /// Starts `program args --web.listen-address=127.0.0.1:PORT` on a free port (serve,
    /// process-exporter and node_exporter all read that flag so) and returns once it answers
    /// a scrape, its start-up scan done by then.
    pub fn start(name: &'static str, program: &Path, args: &[&str]) -> Result<Exporter, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port for {name}: {e}"))?
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(program)
            .args(args)
            .arg(format!("--web.listen-address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {name} ({}): {e}", program.display()))?;
        let mut exporter = Exporter {
            name,
            process: Running(child),
            address,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while get(&exporter.address).is_none() {
            if let Ok(Some(status)) = exporter.process.0.try_wait() {
                return Err(format!("{name} ended at start ({status})"));
            }
            if Instant::now() > deadline {
                return Err(format!("{name} did not answer within 120 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(exporter)
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// One scrape, timed by this process's clock and by the exporter's CPU time.
    pub fn scrape(&self) -> Scrape {
        let cpu = cpu_of(self.pid());
        let started = Instant::now();
        let body = get(&self.address).unwrap_or_default();
        let wall = started.elapsed();
        Scrape {
            wall,
            cpu: cpu_of(self.pid()).saturating_sub(cpu),
            body,
        }
    }

    /// One scrape whose body must hold `metric`: its time, or what it lacked.
    pub fn checked_scrape(&self, metric: &str) -> Result<Scrape, String> {
        let scrape = self.scrape();
        if scrape.body.is_empty() {
            return Err(format!("{} answered no scrape", self.name));
        }
        if !scrape.body.contains(metric) {
            return Err(format!("{}'s scrape has no {metric}", self.name));
        }
        Ok(scrape)
    }
}

/// A directory of this run's files (the exporters' configs), removed on drop.
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    /// A new directory named for `task` and this process.
    pub fn new(task: &str) -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("procfast-{task}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// Writes `text` to the file `name` in it and returns the file's path.
    pub fn write(&self, name: &str, text: &str) -> Result<String, String> {
        let path = self.0.join(name);
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(path.display().to_string())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
