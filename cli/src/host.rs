//! `procfast host`: one snapshot of the host's figures, from the files node_exporter reads,
//! through one held [`System`]. The JSON keys are a contract (see `HOST_USAGE`).

use crate::args::{open_procfs, procfs_name};
use crate::failure::{failure, Failure};
use crate::human::format_bytes;
use lexopt::prelude::*;
use procfast::parse::pressure::{Pressure, Psi};
use procfast::{Error, System};
use serde_json::{json, Value as Json};
use std::io::Write;
use std::time::Instant;

pub const HOST_USAGE: &str = "\
usage: procfast host [--json] [--procfs DIR]

One snapshot of the host: CPU time, memory, load, uptime, pressure (PSI), paging, disks,
network interfaces, open files and sockets, from the files node_exporter reads.

  --json        one JSON object: cpu_seconds {user, nice, system, idle, iowait, irq, softirq,
                steal; summed over CPUs}, memory_bytes {total, free, available, buffers,
                cached, swap_total, swap_free}, load [1, 5, 15], uptime_seconds, pressure
                {cpu, memory, io: {some_total_seconds, full_total_seconds, avg10, avg60,
                avg300, full_avg10, full_avg60, full_avg300}}, vmstat {pgfault, pgmajfault,
                pswpin, pswpout, pgpgin, pgpgout, oom_kill}, disks [{name, reads_completed,
                writes_completed, read_bytes, written_bytes, io_time_seconds}], net [{name,
                receive_bytes, transmit_bytes}], file_nr {allocated, max}, sockstat
                {sockets_used, tcp_inuse, tcp_tw}, micros (the time the snapshot took);
                null where the kernel has no such figure (PSI off, a key it lacks)
  --procfs DIR  the procfs to read (default /proc; a host's /proc mounted elsewhere)";

/// A figure the kernel may not have (a file the mount lacks, PSI turned off) is `null`; any
/// other error ends the command, naming the file.
fn optional<T>(read: procfast::Result<T>) -> Result<Option<T>, Failure> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotInMount { .. }) => Ok(None),
        Err(e) => Err(failure(format!("reading the host's figures: {e}"))),
    }
}

fn required<T>(read: procfast::Result<T>) -> Result<T, Failure> {
    read.map_err(|e| failure(format!("reading the host's figures: {e}")))
}

/// The snapshot as the JSON contract names it.
fn snapshot(system: &mut System) -> Result<Json, Failure> {
    let ticks = procfast::clock_ticks_per_second();
    let started = Instant::now();
    let cpu = required(system.stat())?.total;
    let seconds = |t: u64| t as f64 / ticks as f64;
    let opt_seconds = |t: Option<u64>| t.map(seconds);
    let cpu_seconds = json!({
        "user": seconds(cpu.user),
        "nice": seconds(cpu.nice),
        "system": seconds(cpu.system),
        "idle": seconds(cpu.idle),
        "iowait": opt_seconds(cpu.iowait),
        "irq": opt_seconds(cpu.irq),
        "softirq": opt_seconds(cpu.softirq),
        "steal": opt_seconds(cpu.steal),
    });
    let memory_bytes = {
        let m = required(system.meminfo())?;
        json!({
            "total": m.mem_total_bytes(),
            "free": m.mem_free_bytes(),
            "available": m.mem_available_bytes(),
            "buffers": m.buffers_bytes(),
            "cached": m.cached_bytes(),
            "swap_total": m.swap_total_bytes(),
            "swap_free": m.swap_free_bytes(),
        })
    };
    let load = required(system.loadavg())?;
    let uptime = required(system.uptime())?;
    let mut pressure = serde_json::Map::new();
    for (name, resource) in [
        ("cpu", Pressure::Cpu),
        ("memory", Pressure::Memory),
        ("io", Pressure::Io),
    ] {
        let psi = optional(system.pressure(resource))?;
        pressure.insert(name.into(), psi.as_ref().map_or(Json::Null, psi_json));
    }
    let vmstat = optional(system.vmstat())?.map(|v| {
        let mut out = serde_json::Map::new();
        for key in [
            "pgfault",
            "pgmajfault",
            "pswpin",
            "pswpout",
            "pgpgin",
            "pgpgout",
            "oom_kill",
        ] {
            out.insert(key.into(), json!(v.get(key.as_bytes())));
        }
        Json::Object(out)
    });
    let disks: Option<Vec<Json>> = optional(system.diskstats())?.map(|d| {
        d.disks()
            .map(|disk| {
                json!({
                    "name": String::from_utf8_lossy(disk.name),
                    "reads_completed": disk.reads,
                    "writes_completed": disk.writes,
                    "read_bytes": disk.read_bytes(),
                    "written_bytes": disk.written_bytes(),
                    "io_time_seconds": disk.io_time_seconds(),
                })
            })
            .collect()
    });
    let net: Option<Vec<Json>> = optional(system.net_dev())?.map(|n| {
        n.interfaces()
            .map(|i| {
                json!({
                    "name": String::from_utf8_lossy(i.name),
                    "receive_bytes": i.rx_bytes,
                    "transmit_bytes": i.tx_bytes,
                })
            })
            .collect()
    });
    let file_nr =
        optional(system.file_nr())?.map(|f| json!({"allocated": f.allocated, "max": f.max}));
    let sockstat = optional(system.sockstat())?.map(|s| {
        json!({
            "sockets_used": s.sockets_used(),
            "tcp_inuse": s.tcp_inuse(),
            "tcp_tw": s.tcp_tw(),
        })
    });
    let micros = started.elapsed().as_micros() as u64;
    Ok(json!({
        "cpu_seconds": cpu_seconds,
        "memory_bytes": memory_bytes,
        "load": [load.one, load.five, load.fifteen],
        "uptime_seconds": uptime.uptime_seconds,
        "pressure": pressure,
        "vmstat": vmstat,
        "disks": disks,
        "net": net,
        "file_nr": file_nr,
        "sockstat": sockstat,
        "micros": micros,
    }))
}

fn psi_json(psi: &Psi) -> Json {
    let full = psi.full.as_ref();
    json!({
        "some_total_seconds": psi.some.total_seconds(),
        "full_total_seconds": full.map(|f| f.total_seconds()),
        "avg10": psi.some.avg10,
        "avg60": psi.some.avg60,
        "avg300": psi.some.avg300,
        "full_avg10": full.map(|f| f.avg10),
        "full_avg60": full.map(|f| f.avg60),
        "full_avg300": full.map(|f| f.avg300),
    })
}

/// `procfast host`.
pub fn host(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let mut json = false;
    let mut procfs_dir = None;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{HOST_USAGE}")?),
            Long("json") => json = true,
            Long("procfs") => procfs_dir = Some(args.value()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let procfs = open_procfs(procfs_dir.as_ref())?;
    let mut system = System::in_procfs(procfs)
        .map_err(|e| failure(format!("{}: {e}", procfs_name(procfs_dir.as_ref()))))?;
    let snapshot = snapshot(&mut system)?;
    if json {
        writeln!(out, "{snapshot}")?;
    } else {
        write_text(out, &snapshot)?;
    }
    Ok(())
}

/// The snapshot for a reader: one line per part, sizes in binary units.
fn write_text(out: &mut (impl Write + ?Sized), s: &Json) -> std::io::Result<()> {
    let num = |v: &Json| v.as_f64().map_or("-".into(), |v| format!("{v:.2}"));
    let bytes = |v: &Json| v.as_u64().map_or("-".into(), format_bytes);
    let cpu = |key: &str| num(&s["cpu_seconds"][key]);
    writeln!(
        out,
        "cpu       user {} s  nice {} s  system {} s  idle {} s  iowait {} s  steal {} s \
         (summed over CPUs)",
        cpu("user"),
        cpu("nice"),
        cpu("system"),
        cpu("idle"),
        cpu("iowait"),
        cpu("steal"),
    )?;
    let mem = |key: &str| bytes(&s["memory_bytes"][key]);
    writeln!(
        out,
        "memory    total {}  free {}  available {}  buffers {}  cached {}  swap {} of {} free",
        mem("total"),
        mem("free"),
        mem("available"),
        mem("buffers"),
        mem("cached"),
        mem("swap_free"),
        mem("swap_total"),
    )?;
    let load = |minutes: usize| num(&s["load"][minutes]);
    let uptime = s["uptime_seconds"]
        .as_f64()
        .map_or("-".into(), human_duration);
    writeln!(
        out,
        "load      {} {} {}  uptime {uptime}",
        load(0),
        load(1),
        load(2)
    )?;
    for resource in ["cpu", "memory", "io"] {
        let p = &s["pressure"][resource];
        if p.is_null() {
            writeln!(out, "pressure  {resource:<6} - (no PSI)")?;
        } else {
            let p = |key: &str| num(&p[key]);
            writeln!(
                out,
                "pressure  {resource:<6} some {}% {}% {}% (10 s, 60 s, 300 s), {} s stalled; \
                 full {}%, {} s",
                p("avg10"),
                p("avg60"),
                p("avg300"),
                p("some_total_seconds"),
                p("full_avg10"),
                p("full_total_seconds"),
            )?;
        }
    }
    let count = |v: &Json| v.as_u64().map_or("-".into(), |n| n.to_string());
    let vm = |key: &str| count(&s["vmstat"][key]);
    writeln!(
        out,
        "paging    faults {}  major {}  swapped in {}  out {} pages  OOM kills {}",
        vm("pgfault"),
        vm("pgmajfault"),
        vm("pswpin"),
        vm("pswpout"),
        vm("oom_kill"),
    )?;
    let disks = s["disks"].as_array().map_or(&[][..], Vec::as_slice);
    let busy = |d: &&Json| d["reads_completed"] != 0 || d["writes_completed"] != 0;
    for d in disks.iter().filter(busy) {
        writeln!(
            out,
            "disk      {:<10} read {} ({} ops)  written {} ({} ops)  busy {} s",
            d["name"].as_str().unwrap_or("?"),
            bytes(&d["read_bytes"]),
            count(&d["reads_completed"]),
            bytes(&d["written_bytes"]),
            count(&d["writes_completed"]),
            num(&d["io_time_seconds"]),
        )?;
    }
    let idle = disks.len() - disks.iter().filter(busy).count();
    if idle > 0 {
        writeln!(out, "disk      ({idle} devices never used, not shown)")?;
    }
    for n in s["net"].as_array().into_iter().flatten() {
        let name = n["name"].as_str().unwrap_or("?");
        let (received, sent) = (bytes(&n["receive_bytes"]), bytes(&n["transmit_bytes"]));
        writeln!(out, "net       {name:<10} received {received}  sent {sent}")?;
    }
    let files = |key: &str| count(&s["file_nr"][key]);
    let sockets = |key: &str| count(&s["sockstat"][key]);
    writeln!(
        out,
        "files     {} open of {}  sockets {} (TCP {} in use, {} in TIME_WAIT)",
        files("allocated"),
        files("max"),
        sockets("sockets_used"),
        sockets("tcp_inuse"),
        sockets("tcp_tw"),
    )?;
    writeln!(out, "read in {} µs", count(&s["micros"]))
}

fn human_duration(seconds: f64) -> String {
    let s = seconds as u64;
    let (days, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days} d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}
