//! `Proc::fd_kinds` against a readlink-every-fd oracle, on a helper holding fds of every kind.

use crate::support::python::Python;
use procfast::parse::fd_target::{AnonKind, FdKinds};
use procfast::{Budget, Error, Proc};

/// A python3 process holding `sockets` TCP sockets, `pipes` pipes (two ends each), an epoll,
/// an eventfd and `files` opens of /dev/null, once it has said it is ready; `None`, having said
/// that the test skipped, without python3.
fn holder(sockets: usize, pipes: usize, files: usize) -> Option<Python> {
    let script = format!(
        "import os,select,socket,sys\n\
         s=[socket.socket() for _ in range({sockets})]\n\
         p=[os.pipe() for _ in range({pipes})]\n\
         e=select.epoll()\n\
         v=os.eventfd(0)\n\
         f=[open('/dev/null') for _ in range({files})]\n\
         print('ready',flush=True)\n\
         sys.stdin.read()\n"
    );
    let python = Python::start(&script, &[]).filter(|p| p.ready_line == "ready\n");
    if python.is_none() {
        eprintln!("skipped: no python3 to hold the fds");
    }
    python
}

/// The naive way: list the directory, `read_link` every entry, compare strings.
fn oracle(pid: i32) -> FdKinds {
    let mut kinds = FdKinds::default();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let Ok(target) = std::fs::read_link(entry.unwrap().path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        let kind = if target.starts_with('/') {
            procfast::parse::fd_target::FdKind::File
        } else if target.starts_with("socket:[") {
            procfast::parse::fd_target::FdKind::Socket
        } else if target.starts_with("pipe:[") {
            procfast::parse::fd_target::FdKind::Pipe
        } else if let Some(name) = target.strip_prefix("anon_inode:") {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            let anon = AnonKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .unwrap_or(AnonKind::Other);
            procfast::parse::fd_target::FdKind::AnonInode(anon)
        } else {
            procfast::parse::fd_target::FdKind::Other
        };
        kinds.add(kind);
    }
    kinds
}

#[test]
fn kinds_agree_with_reading_every_link() {
    let Some(holder) = holder(300, 200, 50) else {
        return;
    };
    let mut proc = Proc::open(holder.pid()).unwrap();
    let (kinds, walk) = proc.fd_kinds(&Budget::UNLIMITED).unwrap();
    assert!(walk.is_complete());
    assert_eq!(kinds, oracle(holder.pid()));
    // 200 pipes of two ends; stdin, stdout, stderr and what it inherited (cargo's jobserver)
    // may be pipes too.
    assert_eq!(kinds.socket, 300);
    assert!(kinds.pipe >= 400, "{kinds:?}");
    assert_eq!(kinds.anon(AnonKind::Eventpoll), 1);
    assert_eq!(kinds.anon(AnonKind::Eventfd), 1);
    assert!(kinds.file >= 50, "{kinds:?}");
    assert_eq!(walk.count, proc.fd_count().unwrap().count);
    // Every target is one readlink of the same fds: the socket inodes are those of the
    // sockets.
    let mut inodes = 0;
    proc.for_each_fd_target(&Budget::UNLIMITED, |_, target| {
        inodes += u64::from(procfast::parse::fd_target::socket_inode(target).is_some());
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(inodes, 300);
}

#[test]
fn a_budget_stops_the_census_and_says_so() {
    let Some(holder) = holder(2_000, 0, 0) else {
        return;
    };
    let mut proc = Proc::open(holder.pid()).unwrap();
    let (kinds, walk) = proc.fd_kinds(&Budget::entries(100)).unwrap();
    assert!(!walk.is_complete());
    assert_eq!(kinds.total(), 100, "{kinds:?}");
}

#[test]
fn an_exited_process_is_gone() {
    let Some(holder) = holder(10, 0, 0) else {
        return;
    };
    let mut proc = Proc::open(holder.pid()).unwrap();
    drop(holder);
    assert_eq!(proc.fd_kinds(&Budget::UNLIMITED).unwrap_err(), Error::Gone);
}
