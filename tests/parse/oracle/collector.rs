//! Naive oracles of the process collector's and `System`'s parsers (`stat`, `statm`, `status`,
//! `limits`, `io`, `net/dev`, `/proc/stat`, `meminfo`, `loadavg`, `sockstat`, `file-nr`) and of
//! the `getdents64` decoder.
//!
//! Each oracle implements the same rules as the fast parser in the plainest way available:
//! `split`, `Vec`, `String`, `str::parse`, maps — no cursors, no word tricks, no hints. Each
//! returns `None` where the fast parser returns an error, and an owned value that the fast
//! parser's result is converted into (the `*_fast` functions) for comparison. Shared with the
//! fuzz targets (`#[path]`-included there), so it depends on nothing but std and procfast.
//!
//! The rules, common to all text files: the input ends with `\n`; "blank" means space or tab;
//! a number is ASCII digits only (no sign, no `+`, no spaces), or with one leading `-` where the
//! field is signed, and must fit its type.
#![allow(dead_code)]

use std::collections::BTreeMap;

use procfast::parse;

fn body(buf: &[u8]) -> Option<&[u8]> {
    buf.strip_suffix(b"\n")
}

fn is_blank(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !is_blank(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !is_blank(b)).unwrap_or(s.len());
    &s[start..]
}

/// Blank-separated words, runs of blanks counting as one separator.
fn words(s: &[u8]) -> Vec<&[u8]> {
    s.split(is_blank).filter(|w| !w.is_empty()).collect()
}

fn lines(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == b'\n').collect()
}

/// Splits at the first `c`.
fn split_at_first(s: &[u8], c: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|&b| b == c)?;
    Some((&s[..i], &s[i + 1..]))
}

pub fn u64_dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

pub fn i64_dec(s: &[u8]) -> Option<i64> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    u64_dec(digits)?;
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn u32_dec(s: &[u8]) -> Option<u32> {
    u32::try_from(u64_dec(s)?).ok()
}

fn i32_dec(s: &[u8]) -> Option<i32> {
    i32::try_from(i64_dec(s)?).ok()
}

/// A value that must read `<digits> kB` once trimmed, in bytes.
fn kb(value: &[u8]) -> Option<u64> {
    u64_dec(trim(value).strip_suffix(b" kB")?)?.checked_mul(1024)
}

// ---------------------------------------------------------------------------------------------
// stat

/// Fields 4 to 52 of `/proc/<pid>/stat`, widened to i128 (absent: None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub comm: Vec<u8>,
    pub state: u8,
    pub numbers: Vec<Option<i128>>,
}

/// Field types after the state: 'i' i32, 'u' u32, 'U' u64, 'I' i64. Fields 4..=37 required.
const STAT_TYPES: &[u8; 49] = b"iiiiiuUUUUUUIIIIIIUUUUUUUUUUUUUUUUiuuuUUIUUUUUUUi";

pub fn stat(buf: &[u8]) -> Option<Stat> {
    let body = body(buf)?;
    let open = body.iter().position(|&b| b == b'(')?;
    let pid = i32_dec(body[..open].strip_suffix(b" ")?)?;
    let after_open = &body[open + 1..];
    let close = after_open.iter().rposition(|&b| b == b')')?;
    let comm = after_open[..close].to_vec();
    let after = after_open[close + 1..].strip_prefix(b" ")?;
    if after.len() < 2 || after[1] != b' ' {
        return None;
    }
    let state = after[0];
    let fields: Vec<&[u8]> = after[2..].split(|&b| b == b' ').take(49).collect();
    if fields.len() < 34 {
        return None;
    }
    let mut numbers = Vec::new();
    for (i, &ty) in STAT_TYPES.iter().enumerate() {
        let value = match fields.get(i) {
            None => None,
            Some(f) => Some(match ty {
                b'i' => i128::from(i32_dec(f)?),
                b'u' => i128::from(u32_dec(f)?),
                b'U' => i128::from(u64_dec(f)?),
                _ => i128::from(i64_dec(f)?),
            }),
        };
        numbers.push(value);
    }
    Some(Stat {
        pid,
        comm,
        state,
        numbers,
    })
}

pub fn stat_fast(buf: &[u8]) -> Option<Stat> {
    let s = parse::stat::parse(buf).ok()?;
    let o = |v: Option<i128>| v;
    let numbers = vec![
        Some(s.ppid().into()),
        Some(s.pgrp().into()),
        Some(s.session().into()),
        Some(s.tty_nr().into()),
        Some(s.tpgid().into()),
        Some(s.flags().into()),
        Some(s.minflt().into()),
        Some(s.cminflt().into()),
        Some(s.majflt().into()),
        Some(s.cmajflt().into()),
        Some(s.utime().into()),
        Some(s.stime().into()),
        Some(s.cutime().into()),
        Some(s.cstime().into()),
        Some(s.priority().into()),
        Some(s.nice().into()),
        Some(s.num_threads().into()),
        Some(s.itrealvalue().into()),
        Some(s.starttime().into()),
        Some(s.vsize().into()),
        Some(s.rss().into()),
        Some(s.rsslim().into()),
        Some(s.startcode().into()),
        Some(s.endcode().into()),
        Some(s.startstack().into()),
        Some(s.kstkesp().into()),
        Some(s.kstkeip().into()),
        Some(s.signal().into()),
        Some(s.blocked().into()),
        Some(s.sigignore().into()),
        Some(s.sigcatch().into()),
        Some(s.wchan().into()),
        Some(s.nswap().into()),
        Some(s.cnswap().into()),
        o(s.exit_signal().map(Into::into)),
        o(s.processor().map(Into::into)),
        o(s.rt_priority().map(Into::into)),
        o(s.policy().map(Into::into)),
        o(s.delayacct_blkio_ticks().map(Into::into)),
        o(s.guest_time().map(Into::into)),
        o(s.cguest_time().map(Into::into)),
        o(s.start_data().map(Into::into)),
        o(s.end_data().map(Into::into)),
        o(s.start_brk().map(Into::into)),
        o(s.arg_start().map(Into::into)),
        o(s.arg_end().map(Into::into)),
        o(s.env_start().map(Into::into)),
        o(s.env_end().map(Into::into)),
        o(s.exit_code().map(Into::into)),
    ];
    Some(Stat {
        pid: s.pid,
        comm: s.comm.to_vec(),
        state: s.state,
        numbers,
    })
}

// ---------------------------------------------------------------------------------------------
// statm, file-nr, loadavg, io

pub fn statm(buf: &[u8]) -> Option<[u64; 7]> {
    let w = words(body(buf)?);
    let mut out = [0; 7];
    for (slot, word) in out
        .iter_mut()
        .zip(w.iter().chain(std::iter::repeat(&&b""[..])))
    {
        *slot = u64_dec(word)?;
    }
    Some(out)
}

pub fn statm_fast(buf: &[u8]) -> Option<[u64; 7]> {
    let m = parse::statm::parse(buf).ok()?;
    Some([m.size, m.resident, m.shared, m.text, m.lib, m.data, m.dt])
}

pub fn file_nr(buf: &[u8]) -> Option<[u64; 3]> {
    let w = words(body(buf)?);
    Some([
        u64_dec(w.first()?)?,
        u64_dec(w.get(1)?)?,
        u64_dec(w.get(2)?)?,
    ])
}

pub fn file_nr_fast(buf: &[u8]) -> Option<[u64; 3]> {
    let f = parse::file_nr::parse(buf).ok()?;
    Some([f.allocated, f.free, f.max])
}

/// (one, five, fifteen) as bit patterns, runnable, total, last_pid.
pub type Loadavg = ([u64; 3], u32, u32, i32);

fn fixed_point(s: &[u8]) -> Option<f64> {
    let (int, frac) = split_at_first(s, b'.')?;
    let (i, f) = (u64_dec(int)?, u64_dec(frac)?);
    if frac.len() > 15 {
        return None;
    }
    let scaled = i
        .checked_mul(10u64.pow(frac.len() as u32))?
        .checked_add(f)?;
    if scaled > 1 << 53 {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

pub fn loadavg(buf: &[u8]) -> Option<Loadavg> {
    let w = words(body(buf)?);
    let avg = |i: usize| fixed_point(w.get(i)?).map(f64::to_bits);
    let (runnable, total) = split_at_first(w.get(3)?, b'/')?;
    Some((
        [avg(0)?, avg(1)?, avg(2)?],
        u32_dec(runnable)?,
        u32_dec(total)?,
        i32_dec(w.get(4)?)?,
    ))
}

pub fn loadavg_fast(buf: &[u8]) -> Option<Loadavg> {
    let l = parse::loadavg::parse(buf).ok()?;
    Some((
        [l.one.to_bits(), l.five.to_bits(), l.fifteen.to_bits()],
        l.runnable,
        l.total,
        l.last_pid,
    ))
}

/// The seven keys of `/proc/<pid>/io`, in the kernel's order, split by spaces.
pub const IO_KEYS: &str = "rchar wchar syscr syscw read_bytes write_bytes cancelled_write_bytes";

pub fn io(buf: &[u8]) -> Option<[u64; 7]> {
    let mut found: BTreeMap<&[u8], u64> = BTreeMap::new();
    for line in lines(body(buf)?) {
        let Some((key, value)) = split_at_first(line, b':') else {
            continue;
        };
        if IO_KEYS.split(' ').any(|k| k.as_bytes() == key) {
            found.insert(key, u64_dec(trim(value))?);
        }
    }
    let mut out = [0; 7];
    for (slot, key) in out.iter_mut().zip(IO_KEYS.split(' ')) {
        *slot = *found.get(key.as_bytes())?;
    }
    Some(out)
}

pub fn io_fast(buf: &[u8]) -> Option<[u64; 7]> {
    let i = parse::io::parse(buf).ok()?;
    Some([
        i.rchar,
        i.wchar,
        i.syscr,
        i.syscw,
        i.read_bytes,
        i.write_bytes,
        i.cancelled_write_bytes,
    ])
}

// ---------------------------------------------------------------------------------------------
// status

/// The typed status fields, keyed by their status key; numbers widened to i128, kB as bytes.
pub type Status = BTreeMap<String, StatusValue>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusValue {
    Bytes(Vec<u8>),
    Number(i128),
    Ids([u32; 4]),
}

const STATUS_KB: [&str; 14] = [
    "VmPeak", "VmSize", "VmLck", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData",
    "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap",
];

pub fn status(buf: &[u8]) -> Option<Status> {
    let mut out = Status::new();
    for line in lines(body(buf)?) {
        let Some((key, after)) = split_at_first(line, b':') else {
            continue;
        };
        let Ok(key) = std::str::from_utf8(key) else {
            continue;
        };
        let number = |max: i128| -> Option<StatusValue> {
            let v = i128::from(u64_dec(trim(after))?);
            (v <= max).then_some(StatusValue::Number(v))
        };
        let value = match key {
            "Name" => StatusValue::Bytes(after.strip_prefix(b"\t").unwrap_or(after).to_vec()),
            "State" => StatusValue::Number(i128::from(*trim_start(after).first()?)),
            "Tgid" | "Pid" | "PPid" => number(i128::from(i32::MAX))?,
            "FDSize" => number(i128::from(u32::MAX))?,
            "Threads" | "voluntary_ctxt_switches" | "nonvoluntary_ctxt_switches" => {
                number(i128::from(u64::MAX))?
            }
            "Uid" | "Gid" => {
                let w = words(after);
                let id = |i: usize| u32_dec(w.get(i)?);
                StatusValue::Ids([id(0)?, id(1)?, id(2)?, id(3)?])
            }
            k if STATUS_KB.contains(&k) => StatusValue::Number(i128::from(kb(after)?)),
            _ => continue,
        };
        out.insert(key.to_string(), value);
    }
    let required = [
        "Name", "State", "Tgid", "Pid", "PPid", "Uid", "Gid", "FDSize", "Threads",
    ];
    required.iter().all(|k| out.contains_key(*k)).then_some(out)
}

pub fn status_fast(buf: &[u8]) -> Option<Status> {
    use StatusValue::*;
    let s = parse::status::parse(buf).ok()?;
    let ids = |i: parse::status::Ids| Ids([i.real, i.effective, i.saved, i.filesystem]);
    let mut out = Status::new();
    let mut put = |k: &str, v: StatusValue| {
        out.insert(k.to_string(), v);
    };
    put("Name", Bytes(s.name().to_vec()));
    put("State", Number(s.state().into()));
    put("Tgid", Number(s.tgid().into()));
    put("Pid", Number(s.pid().into()));
    put("PPid", Number(s.ppid().into()));
    put("Uid", ids(s.uid()));
    put("Gid", ids(s.gid()));
    put("FDSize", Number(s.fd_size().into()));
    put("Threads", Number(s.threads().into()));
    let optional = [
        ("VmPeak", s.vm_peak_bytes()),
        ("VmSize", s.vm_size_bytes()),
        ("VmLck", s.vm_lck_bytes()),
        ("VmHWM", s.vm_hwm_bytes()),
        ("VmRSS", s.vm_rss_bytes()),
        ("RssAnon", s.rss_anon_bytes()),
        ("RssFile", s.rss_file_bytes()),
        ("RssShmem", s.rss_shmem_bytes()),
        ("VmData", s.vm_data_bytes()),
        ("VmStk", s.vm_stk_bytes()),
        ("VmExe", s.vm_exe_bytes()),
        ("VmLib", s.vm_lib_bytes()),
        ("VmPTE", s.vm_pte_bytes()),
        ("VmSwap", s.vm_swap_bytes()),
        ("voluntary_ctxt_switches", s.voluntary_ctxt_switches()),
        ("nonvoluntary_ctxt_switches", s.nonvoluntary_ctxt_switches()),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            put(k, Number(v.into()));
        }
    }
    Some(out)
}

/// Every `(key, value)` pair [`parse::status::Status::iter`] should yield.
pub fn status_pairs(buf: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    for line in lines(body(buf)?) {
        if let Some((key, after)) = split_at_first(line, b':') {
            out.push((
                key.to_vec(),
                after.strip_prefix(b"\t").unwrap_or(after).to_vec(),
            ));
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// meminfo

pub fn meminfo(buf: &[u8]) -> Option<BTreeMap<&'static str, u64>> {
    let mut out = BTreeMap::new();
    for line in lines(body(buf)?) {
        let Some((key, value)) = split_at_first(line, b':') else {
            continue;
        };
        let Some(field) = parse::meminfo::Field::ALL
            .iter()
            .find(|f| f.key().as_bytes() == key)
        else {
            continue;
        };
        let v = if field.is_kb() {
            kb(value)?
        } else {
            u64_dec(trim(value))?
        };
        out.insert(field.key(), v);
    }
    (out.contains_key("MemTotal") && out.contains_key("MemFree")).then_some(out)
}

pub fn meminfo_fast(buf: &[u8]) -> Option<BTreeMap<&'static str, u64>> {
    let m = parse::meminfo::parse(buf).ok()?;
    let fields = parse::meminfo::Field::ALL.iter();
    Some(fields.filter_map(|&f| Some((f.key(), m.get(f)?))).collect())
}

// ---------------------------------------------------------------------------------------------
// limits

/// Per resource name: (soft, hard, unit), `None` limits meaning unlimited.
pub type Limits = BTreeMap<&'static str, (Option<u64>, Option<u64>, Vec<u8>)>;

fn limit(word: Option<&&[u8]>) -> Option<Option<u64>> {
    match *word? {
        b"unlimited" => Some(None),
        w => Some(Some(u64_dec(w)?)),
    }
}

pub fn limits(buf: &[u8]) -> Option<Limits> {
    let names: Vec<&'static str> = parse::limits::Resource::ALL
        .iter()
        .map(|r| r.name())
        .collect();
    let mut out = Limits::new();
    for line in lines(body(buf)?) {
        let Some(&name) = names.iter().find(|n| {
            line.starts_with(n.as_bytes())
                && line.len() >= n.len() + 2
                && is_blank(&line[n.len()])
                && is_blank(&line[n.len() + 1])
        }) else {
            continue;
        };
        let w = words(&line[name.len()..]);
        let (soft, hard) = (limit(w.first())?, limit(w.get(1))?);
        out.insert(
            name,
            (soft, hard, w.get(2).map_or(Vec::new(), |u| u.to_vec())),
        );
    }
    (out.len() == names.len()).then_some(out)
}

pub fn limits_fast(buf: &[u8]) -> Option<Limits> {
    let l = parse::limits::parse(buf).ok()?;
    Some(
        l.iter()
            .map(|(r, v)| (r.name(), (v.soft, v.hard, v.unit.to_vec())))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// net/dev

pub type NetDev = Vec<(Vec<u8>, [u64; 16])>;

pub fn net_dev(buf: &[u8]) -> Option<NetDev> {
    let all = lines(body(buf)?);
    if all.len() < 2 || !all[0].contains(&b'|') || !all[1].contains(&b'|') {
        return None;
    }
    let mut out = Vec::new();
    for line in &all[2..] {
        let (name, counters) = split_at_first(trim_start(line), b':')?;
        if name.is_empty() {
            return None;
        }
        let w = words(counters);
        let mut values = [0; 16];
        for (i, slot) in values.iter_mut().enumerate() {
            *slot = u64_dec(w.get(i)?)?;
        }
        out.push((name.to_vec(), values));
    }
    Some(out)
}

pub fn net_dev_fast(buf: &[u8]) -> Option<NetDev> {
    let d = parse::net_dev::parse(buf).ok()?;
    let rows: NetDev = d
        .interfaces()
        .map(|i| (i.name.to_vec(), i.counters()))
        .collect();
    assert_eq!(
        rows.len(),
        d.len(),
        "NetDev::len disagrees with its iterator"
    );
    Some(rows)
}

// ---------------------------------------------------------------------------------------------
// /proc/stat

/// user, nice, system, idle, then the six optional columns.
pub type Cpu = ([u64; 4], [Option<u64>; 6]);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub total: Cpu,
    pub cpus: Vec<(u32, Cpu)>,
    /// ctxt, btime, processes, procs_running, procs_blocked
    pub counters: [u64; 5],
}

fn cpu(columns: &[u8]) -> Option<Cpu> {
    let w = words(columns);
    let mut required = [0; 4];
    for (i, slot) in required.iter_mut().enumerate() {
        *slot = u64_dec(w.get(i)?)?;
    }
    let mut optional = [None; 6];
    for (i, slot) in optional.iter_mut().enumerate() {
        if let Some(word) = w.get(4 + i) {
            *slot = Some(u64_dec(word)?);
        }
    }
    Some((required, optional))
}

pub fn proc_stat(buf: &[u8]) -> Option<ProcStat> {
    let mut total = None;
    let mut cpus = Vec::new();
    let mut found: BTreeMap<&[u8], u64> = BTreeMap::new();
    for line in lines(body(buf)?) {
        if let Some(rest) = line.strip_prefix(b"cpu") {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 {
                cpus.push((u32_dec(&rest[..digits])?, cpu(&rest[digits..])?));
                continue;
            }
        }
        let (key, value) = split_at_first(line, b' ').unwrap_or((line, b""));
        match key {
            b"cpu" => total = Some(cpu(value)?),
            b"ctxt" | b"btime" | b"processes" => {
                found.insert(key, u64_dec(trim(value))?);
            }
            b"procs_running" | b"procs_blocked" => {
                found.insert(key, u64::from(u32_dec(trim(value))?));
            }
            _ => {}
        }
    }
    let keys: [&[u8]; 5] = [
        b"ctxt",
        b"btime",
        b"processes",
        b"procs_running",
        b"procs_blocked",
    ];
    let mut counters = [0; 5];
    for (slot, key) in counters.iter_mut().zip(keys) {
        *slot = *found.get(key)?;
    }
    Some(ProcStat {
        total: total?,
        cpus,
        counters,
    })
}

fn cpu_fast(c: &parse::proc_stat::CpuTime) -> Cpu {
    (
        [c.user, c.nice, c.system, c.idle],
        [c.iowait, c.irq, c.softirq, c.steal, c.guest, c.guest_nice],
    )
}

pub fn proc_stat_fast(buf: &[u8]) -> Option<ProcStat> {
    let s = parse::proc_stat::parse(buf).ok()?;
    Some(ProcStat {
        total: cpu_fast(&s.total),
        cpus: s.cpus().map(|(id, c)| (id, cpu_fast(&c))).collect(),
        counters: [
            s.ctxt,
            s.btime,
            s.processes,
            s.procs_running.into(),
            s.procs_blocked.into(),
        ],
    })
}

// ---------------------------------------------------------------------------------------------
// sockstat

const SOCKSTAT_KNOWN: [(&str, &str); 18] = [
    ("sockets", "used"),
    ("TCP", "inuse"),
    ("TCP", "orphan"),
    ("TCP", "tw"),
    ("TCP", "alloc"),
    ("TCP", "mem"),
    ("UDP", "inuse"),
    ("UDP", "mem"),
    ("UDPLITE", "inuse"),
    ("RAW", "inuse"),
    ("FRAG", "inuse"),
    ("FRAG", "memory"),
    ("TCP6", "inuse"),
    ("UDP6", "inuse"),
    ("UDPLITE6", "inuse"),
    ("RAW6", "inuse"),
    ("FRAG6", "inuse"),
    ("FRAG6", "memory"),
];

pub type Sockstat = BTreeMap<(&'static str, &'static str), u64>;

/// `six` selects sockstat6's required counter (`TCP6 inuse`) over sockstat's (`sockets used`).
pub fn sockstat(buf: &[u8], six: bool) -> Option<Sockstat> {
    let mut out = Sockstat::new();
    for (proto, key, value) in sockstat_triples(buf)? {
        let known = SOCKSTAT_KNOWN
            .iter()
            .find(|(p, k)| p.as_bytes() == proto && k.as_bytes() == key);
        if let Some(&(p, k)) = known {
            out.insert((p, k), u64_dec(&value)?);
        }
    }
    let required = if six {
        ("TCP6", "inuse")
    } else {
        ("sockets", "used")
    };
    out.contains_key(&required).then_some(out)
}

/// `(protocol, key, value)`, owned.
pub type Triple = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Every `(protocol, key, value)` triple, a missing value as empty.
pub fn sockstat_triples(buf: &[u8]) -> Option<Vec<Triple>> {
    let mut out = Vec::new();
    for line in lines(body(buf)?) {
        let Some((proto, pairs)) = split_at_first(line, b':') else {
            continue;
        };
        for pair in words(pairs).chunks(2) {
            let value = pair.get(1).map_or(Vec::new(), |v| v.to_vec());
            out.push((proto.to_vec(), pair[0].to_vec(), value));
        }
    }
    Some(out)
}

pub fn sockstat_fast(buf: &[u8], six: bool) -> Option<Sockstat> {
    let s = if six {
        parse::sockstat::parse6(buf)
    } else {
        parse::sockstat::parse(buf)
    }
    .ok()?;
    let values = [
        s.sockets_used(),
        s.tcp_inuse(),
        s.tcp_orphan(),
        s.tcp_tw(),
        s.tcp_alloc(),
        s.tcp_mem_pages(),
        s.udp_inuse(),
        s.udp_mem_pages(),
        s.udplite_inuse(),
        s.raw_inuse(),
        s.frag_inuse(),
        s.frag_memory_bytes(),
        s.tcp6_inuse(),
        s.udp6_inuse(),
        s.udplite6_inuse(),
        s.raw6_inuse(),
        s.frag6_inuse(),
        s.frag6_memory_bytes(),
    ];
    Some(
        SOCKSTAT_KNOWN
            .iter()
            .zip(values)
            .filter_map(|(&pk, v)| Some((pk, v?)))
            .collect(),
    )
}

pub fn sockstat_triples_fast(buf: &[u8], six: bool) -> Option<Vec<Triple>> {
    let s = if six {
        parse::sockstat::parse6(buf)
    } else {
        parse::sockstat::parse(buf)
    }
    .ok()?;
    Some(
        s.iter()
            .map(|(p, k, v)| (p.to_vec(), k.to_vec(), v.to_vec()))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// getdents64

/// The entries decoded from a getdents64 buffer, then `Err(())` if a malformed record ended it.
pub type Dirents = Vec<Result<(u64, u8, Vec<u8>), ()>>;

pub fn dirents(buf: &[u8]) -> Dirents {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let rec = &buf[at..];
        if rec.len() < 19 {
            out.push(Err(()));
            break;
        }
        let ino = u64::from_ne_bytes(rec[0..8].try_into().unwrap());
        let reclen = usize::from(u16::from_ne_bytes(rec[16..18].try_into().unwrap()));
        let kind = rec[18];
        if reclen <= 19 || reclen > rec.len() {
            out.push(Err(()));
            break;
        }
        let Some(nul) = rec[19..reclen].iter().position(|&b| b == 0) else {
            out.push(Err(()));
            break;
        };
        out.push(Ok((ino, kind, rec[19..19 + nul].to_vec())));
        at += reclen;
    }
    out
}

pub fn dirents_fast(buf: &[u8]) -> Dirents {
    parse::dirent::dirents(buf)
        .map(|e| e.map(|d| (d.ino, d.kind, d.name.to_vec())).map_err(|_| ()))
        .collect()
}
