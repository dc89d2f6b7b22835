//! Naive oracles of the host-file parsers (`vmstat`, `diskstats`, `pressure`, `uptime`,
//! `snmp`/`netstat`, `swaps`): the formats' rules, written the plain way, allocating and splitting, from
//! the formats rather than from the parsers. Each returns `None` where the parser returns an
//! error, and an owned value the parser's result is converted into (the `*_fast` functions).
//! Shared with the fuzz targets (`#[path]`-included there), so it depends on nothing but std and
//! procfast.
#![allow(dead_code)]

use procfast::parse::{diskstats, pressure, snmp, swaps, uptime, vmstat};

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The blank-separated words of `line` (runs of blanks are one separator).
fn words(line: &[u8]) -> Vec<&[u8]> {
    line.split(|&b| is_blank(b))
        .filter(|w| !w.is_empty())
        .collect()
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// Digits only, at least one, no overflow.
fn dec_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn dec_u32(bytes: &[u8]) -> Option<u32> {
    dec_u64(bytes)?.try_into().ok()
}

/// `<digits>.<digits>`: at most 15 decimals, and the digits together at most 2^53, so the
/// value is exact; then std's decimal parse.
fn decimal(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (int, frac) = text.split_once('.')?;
    let scaled: u128 = format!("{}{frac}", dec_u64(int.as_bytes())?).parse().ok()?;
    dec_u64(frac.as_bytes())?;
    if frac.len() > 15 || scaled > 1u128 << 53 {
        return None;
    }
    text.parse().ok()
}

/// What the file says: every known field and every `(name, value)` line.
pub type Vmstat = (Vec<Option<u64>>, Vec<(Vec<u8>, u64)>);

pub fn vmstat(buf: &[u8]) -> Option<Vmstat> {
    let body = buf.strip_suffix(b"\n")?;
    let mut known = vec![None; vmstat::Field::ALL.len()];
    let mut pairs = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        let Some(space) = line.iter().position(|&b| b == b' ') else {
            continue;
        };
        let (name, value) = (&line[..space], dec_u64(trim(&line[space + 1..])));
        let field = vmstat::Field::ALL
            .iter()
            .position(|f| f.key().as_bytes() == name);
        if let Some(i) = field {
            known[i] = Some(value?);
        }
        if let Some(value) = value {
            pairs.push((name.to_vec(), value));
        }
    }
    known[vmstat::Field::NrFreePages as usize]?;
    Some((known, pairs))
}

pub fn vmstat_fast(buf: &[u8]) -> Option<Vmstat> {
    let v = vmstat::parse(buf).ok()?;
    let known = vmstat::Field::ALL.iter().map(|&f| v.field(f)).collect();
    let pairs: Vec<(Vec<u8>, u64)> = v.iter().map(|(n, v)| (n.to_vec(), v)).collect();
    // `get` is the last line of the name, whichever way it finds it (for some 32 names: each
    // is a scan of the file).
    for (name, _) in pairs.iter().step_by(pairs.len() / 32 + 1) {
        let last = pairs.iter().rev().find(|(n, _)| n == name).map(|p| p.1);
        assert_eq!(
            v.get(name),
            last,
            "get({:?})",
            String::from_utf8_lossy(name)
        );
    }
    Some((known, pairs))
}

/// major, minor, name and the 17 counters (`None` past the end of a line).
pub type Disk = (u32, u32, Vec<u8>, Vec<Option<u64>>);

pub fn diskstats(buf: &[u8]) -> Option<Vec<Disk>> {
    if buf.is_empty() {
        return Some(Vec::new());
    }
    let body = buf.strip_suffix(b"\n")?;
    let mut disks = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        let w = words(line);
        let (major, minor) = (dec_u32(w.first()?)?, dec_u32(w.get(1)?)?);
        let name = w.get(2)?.to_vec();
        let mut counters = Vec::new();
        for k in 0..17 {
            match w.get(3 + k) {
                Some(word) => counters.push(Some(dec_u64(word)?)),
                None if k >= 11 => counters.push(None),
                None => return None,
            }
        }
        disks.push((major, minor, name, counters));
    }
    Some(disks)
}

pub fn diskstats_fast(buf: &[u8]) -> Option<Vec<Disk>> {
    let stats = diskstats::parse(buf).ok()?;
    let disks: Vec<Disk> = stats
        .disks()
        .map(|d| {
            let counters = [
                Some(d.reads),
                Some(d.reads_merged),
                Some(d.sectors_read),
                Some(d.read_time_ms),
                Some(d.writes),
                Some(d.writes_merged),
                Some(d.sectors_written),
                Some(d.write_time_ms),
                Some(d.in_flight),
                Some(d.io_time_ms),
                Some(d.weighted_io_time_ms),
                d.discards,
                d.discards_merged,
                d.sectors_discarded,
                d.discard_time_ms,
                d.flushes,
                d.flush_time_ms,
            ];
            (d.major, d.minor, d.name.to_vec(), counters.to_vec())
        })
        .collect();
    assert_eq!(disks.len(), stats.len());
    Some(disks)
}

/// avg10, avg60, avg300, total.
pub type Stall = (f64, f64, f64, u64);

fn stall(fields: &[u8]) -> Option<Stall> {
    let parts: Vec<&[u8]> = fields.split(|&b| b == b' ').collect();
    let value = |i: usize, key: &[u8]| parts.get(i)?.strip_prefix(key);
    // After total: the end, or a blank and whatever a newer kernel adds.
    let total = value(3, b"total=")?.split(|&b| b == b'\t').next()?;
    Some((
        decimal(value(0, b"avg10=")?)?,
        decimal(value(1, b"avg60=")?)?,
        decimal(value(2, b"avg300=")?)?,
        dec_u64(total)?,
    ))
}

pub fn pressure(buf: &[u8]) -> Option<(Stall, Option<Stall>)> {
    let body = buf.strip_suffix(b"\n")?;
    let (mut some, mut full) = (None, None);
    for line in body.split(|&b| b == b'\n') {
        if let Some(fields) = line.strip_prefix(b"some ") {
            some = Some(stall(fields)?);
        } else if let Some(fields) = line.strip_prefix(b"full ") {
            full = Some(stall(fields)?);
        }
    }
    Some((some?, full))
}

pub fn pressure_fast(buf: &[u8]) -> Option<(Stall, Option<Stall>)> {
    let psi = pressure::parse(buf).ok()?;
    let s = |s: pressure::Stall| (s.avg10, s.avg60, s.avg300, s.total_us);
    assert_eq!(psi.some.total_seconds(), psi.some.total_us as f64 / 1e6);
    Some((s(psi.some), psi.full.map(s)))
}

pub fn uptime(buf: &[u8]) -> Option<(f64, f64)> {
    let body = buf.strip_suffix(b"\n")?;
    let line = body.split(|&b| b == b'\n').next()?;
    let mut tokens = line.split(|&b| is_blank(b));
    let up = decimal(tokens.next()?)?;
    let idle = decimal(tokens.find(|t| !t.is_empty())?)?;
    Some((up, idle))
}

pub fn uptime_fast(buf: &[u8]) -> Option<(f64, f64)> {
    let u = uptime::parse(buf).ok()?;
    Some((u.uptime_seconds, u.idle_seconds))
}

/// An area of `/proc/swaps`: file name, type, size and used bytes, priority.
pub type SwapArea = (Vec<u8>, Vec<u8>, u64, u64, i64);

pub fn swaps(buf: &[u8]) -> Option<Vec<SwapArea>> {
    let body = buf.strip_suffix(b"\n")?;
    let mut lines = body.split(|&b| b == b'\n');
    if words(lines.next()?).first() != Some(&&b"Filename"[..]) {
        return None;
    }
    let kib = |w: &[u8]| dec_u64(w)?.checked_mul(1024);
    let mut areas = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let w = words(line);
        if w.len() < 5 {
            return None;
        }
        let priority = std::str::from_utf8(w[4]).ok()?;
        let digits = priority.strip_prefix('-').unwrap_or(priority);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        areas.push((
            w[0].to_vec(),
            w[1].to_vec(),
            kib(w[2])?,
            kib(w[3])?,
            priority.parse().ok()?,
        ));
    }
    Some(areas)
}

pub fn swaps_fast(buf: &[u8]) -> Option<Vec<SwapArea>> {
    let s = swaps::parse(buf).ok()?;
    let areas: Vec<SwapArea> = s
        .iter()
        .map(|a| {
            (
                a.filename.to_vec(),
                a.kind.to_vec(),
                a.size_bytes,
                a.used_bytes,
                a.priority,
            )
        })
        .collect();
    assert_eq!(s.is_empty(), areas.is_empty());
    Some(areas)
}

/// A value: signed if it starts with `-`, else the bits of an unsigned one.
fn value(word: &[u8]) -> Option<i64> {
    match word.strip_prefix(b"-") {
        Some(digits) => {
            dec_u64(digits)?;
            std::str::from_utf8(word).ok()?.parse().ok()
        }
        None => dec_u64(word).map(|v| v as i64),
    }
}

pub type Triples = Vec<(Vec<u8>, Vec<u8>, i64)>;

pub fn snmp(buf: &[u8], netstat: bool) -> Option<Triples> {
    let body = buf.strip_suffix(b"\n")?;
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if lines.len() % 2 != 0 {
        return None;
    }
    let split = |line: &[u8]| -> Option<(Vec<u8>, Vec<u8>)> {
        let colon = line.iter().position(|&b| b == b':')?;
        Some((line[..colon].to_vec(), line[colon + 1..].to_vec()))
    };
    let mut triples = Vec::new();
    for pair in lines.chunks(2) {
        let (proto, names) = split(pair[0])?;
        let (proto_too, values) = split(pair[1])?;
        let (names, values) = (words(&names), words(&values));
        if proto != proto_too || names.len() != values.len() {
            return None;
        }
        for (name, v) in names.iter().zip(values) {
            triples.push((proto.clone(), name.to_vec(), value(v)?));
        }
    }
    let (proto, name): (&[u8], &[u8]) = if netstat {
        (b"TcpExt", b"SyncookiesSent")
    } else {
        (b"Ip", b"Forwarding")
    };
    triples.iter().find(|(p, n, _)| p == proto && n == name)?;
    Some(triples)
}

/// The last value of `proto name` among `triples`.
pub fn lookup(triples: &Triples, proto: &[u8], name: &[u8]) -> Option<i64> {
    triples
        .iter()
        .rev()
        .find(|(p, n, _)| p == proto && n == name)
        .map(|t| t.2)
}

type Accessor = fn(&snmp::Snmp<'_>) -> Option<i64>;

/// The rows of [`ACCESSORS`]: protocol, counter, accessor, and `unsigned` for the accessors that
/// return a `u64`, compared as the bits [`Snmp::get`](snmp::Snmp::get) gives for them.
macro_rules! accessors {
    ($( $proto:literal $name:literal $method:ident $($unsigned:ident)?; )*) => {
        &[$( ($proto, $name, accessors!(@read $method $($unsigned)?)) ),*]
    };
    (@read $method:ident) => { |s| s.$method() };
    (@read $method:ident unsigned) => { |s| s.$method().map(|v| v as i64) };
}

/// Every typed accessor, with the counter it reads.
pub const ACCESSORS: &[(&str, &str, Accessor)] = accessors! {
    "Ip" "Forwarding" ip_forwarding unsigned;
    "Ip" "DefaultTTL" ip_default_ttl unsigned;
    "Ip" "InReceives" ip_in_receives unsigned;
    "Ip" "InHdrErrors" ip_in_hdr_errors unsigned;
    "Ip" "InAddrErrors" ip_in_addr_errors unsigned;
    "Ip" "ForwDatagrams" ip_forw_datagrams unsigned;
    "Ip" "InUnknownProtos" ip_in_unknown_protos unsigned;
    "Ip" "InDiscards" ip_in_discards unsigned;
    "Ip" "InDelivers" ip_in_delivers unsigned;
    "Ip" "OutRequests" ip_out_requests unsigned;
    "Ip" "OutDiscards" ip_out_discards unsigned;
    "Ip" "OutNoRoutes" ip_out_no_routes unsigned;
    "Icmp" "InMsgs" icmp_in_msgs unsigned;
    "Icmp" "InErrors" icmp_in_errors unsigned;
    "Icmp" "OutMsgs" icmp_out_msgs unsigned;
    "Icmp" "OutErrors" icmp_out_errors unsigned;
    "Tcp" "MaxConn" tcp_max_conn;
    "Tcp" "ActiveOpens" tcp_active_opens unsigned;
    "Tcp" "PassiveOpens" tcp_passive_opens unsigned;
    "Tcp" "AttemptFails" tcp_attempt_fails unsigned;
    "Tcp" "EstabResets" tcp_estab_resets unsigned;
    "Tcp" "CurrEstab" tcp_curr_estab;
    "Tcp" "InSegs" tcp_in_segs unsigned;
    "Tcp" "OutSegs" tcp_out_segs unsigned;
    "Tcp" "RetransSegs" tcp_retrans_segs unsigned;
    "Tcp" "InErrs" tcp_in_errs unsigned;
    "Tcp" "OutRsts" tcp_out_rsts unsigned;
    "Udp" "InDatagrams" udp_in_datagrams unsigned;
    "Udp" "NoPorts" udp_no_ports unsigned;
    "Udp" "InErrors" udp_in_errors unsigned;
    "Udp" "OutDatagrams" udp_out_datagrams unsigned;
    "Udp" "RcvbufErrors" udp_rcvbuf_errors unsigned;
    "Udp" "SndbufErrors" udp_sndbuf_errors unsigned;
    "TcpExt" "SyncookiesSent" tcp_ext_syncookies_sent unsigned;
    "TcpExt" "SyncookiesRecv" tcp_ext_syncookies_recv unsigned;
    "TcpExt" "SyncookiesFailed" tcp_ext_syncookies_failed unsigned;
    "TcpExt" "ListenOverflows" tcp_ext_listen_overflows unsigned;
    "TcpExt" "ListenDrops" tcp_ext_listen_drops unsigned;
    "TcpExt" "TCPTimeouts" tcp_ext_timeouts unsigned;
    "TcpExt" "TCPOFOQueue" tcp_ext_ofo_queue unsigned;
    "TcpExt" "TCPSynRetrans" tcp_ext_syn_retrans unsigned;
    "IpExt" "InOctets" ip_ext_in_octets unsigned;
    "IpExt" "OutOctets" ip_ext_out_octets unsigned;
};

pub fn snmp_fast(buf: &[u8], netstat: bool) -> Option<Triples> {
    let s = if netstat {
        snmp::parse_netstat(buf)
    } else {
        snmp::parse(buf)
    }
    .ok()?;
    let triples: Triples = s
        .iter()
        .map(|(p, n, v)| (p.to_vec(), n.to_vec(), v))
        .collect();
    for (p, n, _) in triples.iter().step_by(triples.len() / 32 + 1) {
        assert_eq!(s.get(p, n), lookup(&triples, p, n));
    }
    for (proto, name, read) in ACCESSORS {
        let want = lookup(&triples, proto.as_bytes(), name.as_bytes());
        assert_eq!(read(&s), want, "{proto} {name}");
    }
    Some(triples)
}
