//! Counting TCP sockets per state from `/proc/net/tcp`: procfast against procfs-core's parser
//! of the same bytes.
//!
//! The input is a synthetic `/proc/net/tcp` of 20,000 sockets, rendered once with the kernel's
//! formats (`get_tcp4_sock` and `get_timewait4_sock`, each line padded to 149 columns by
//! `seq_pad`): mostly ESTABLISHED and TIME_WAIT, a few listeners and closing states, as on a busy
//! server. Each iteration checks the total (httparse style), so nothing can be optimised away or
//! silently fail; throughput is reported in input bytes.
//!
//! Run with `cargo bench --bench parse_tcp`.

use criterion::{criterion_group, criterion_main, Criterion};
use procfast::parse::net_tcp;
use procfast::parse::tcp_state::{StateCounts, TcpState};
use procfs::FromReadSI;

#[path = "shared/parse_group.rs"]
mod parse_group;
#[path = "../tests/support/mod.rs"]
mod support;
use parse_group::ParseGroup;

const SOCKETS: usize = 20_000;

/// A small deterministic generator (xorshift64*), so every run parses the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The synthetic file, and how many sockets of each state it holds.
fn render(sockets: usize) -> (Vec<u8>, StateCounts) {
    let mut rng = Rng(0x5EED);
    let mut counts = StateCounts::new();
    let mut out = format!(
        "{:149}\n",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    );
    for i in 0..sockets {
        let state = match rng.next() % 100 {
            0..=59 => TcpState::Established,
            60..=89 => TcpState::TimeWait,
            90..=92 => TcpState::Listen,
            93..=95 => TcpState::CloseWait,
            96..=97 => TcpState::FinWait2,
            98 => TcpState::SynRecv,
            _ => TcpState::LastAck,
        };
        counts.record(state.kernel());
        let (local, remote) = (rng.next() as u32, rng.next() as u32);
        let (lport, rport) = (rng.next() as u16, rng.next() as u16);
        let line = if state == TcpState::TimeWait {
            format!(
                "{i:4}: {local:08X}:{lport:04X} {remote:08X}:{rport:04X} {:02X} {:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {} {} {:016x}",
                state.kernel(), 0, 0, 3, rng.next() % 6000, 0, 0, 0, 0, 3, rng.next()
            )
        } else {
            format!(
                "{i:4}: {local:08X}:{lport:04X} {remote:08X}:{rport:04X} {:02X} {:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {} {} {:016x} {} {} {} {} {}",
                state.kernel(),
                rng.next() % 4096,
                rng.next() % 4096,
                rng.next() % 3,
                rng.next() % 3000,
                0,
                1000 + rng.next() % 100,
                0,
                10_000_000 + i,
                1,
                rng.next(),
                20,
                4,
                0,
                10,
                -1
            )
        };
        out.push_str(&format!("{line:149}\n"));
    }
    (out.into_bytes(), counts)
}

fn benches(c: &mut Criterion) {
    let (file, expected) = render(SOCKETS);
    let total = SOCKETS as u64;
    assert_eq!(net_tcp::count_states(&file).unwrap(), expected);
    let system_info = support::fixtures::procfs_system_info();

    ParseGroup::new(c, "net_tcp_count_states", &file)
        .contender("procfast", |bytes| {
            let counts = net_tcp::count_states(bytes).unwrap();
            assert_eq!(counts.total(), total);
            counts
        })
        // Every socket decoded in full (addresses, queues, timers, uid, inode), then counted.
        .contender("procfast-sockets", |bytes| {
            let mut counts = StateCounts::new();
            let mut inodes = 0u64;
            for s in net_tcp::sockets(bytes).unwrap() {
                let s = s.unwrap();
                counts.record(s.state);
                inodes = inodes.wrapping_add(s.inode);
            }
            assert_eq!(counts.total(), total);
            inodes
        })
        .contender("procfs", |bytes| {
            let entries = procfs::net::TcpNetEntries::from_read(bytes, &system_info).unwrap();
            let mut counts = StateCounts::new();
            for e in &entries.0 {
                counts.record(e.state.to_u8());
            }
            assert_eq!(counts.total(), total);
            counts
        })
        .finish();
}

criterion_group!(parse_tcp, benches);
criterion_main!(parse_tcp);
