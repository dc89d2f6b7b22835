//! `procfast metrics [PID]`: a process's metrics in the Prometheus text format.

use crate::args::{negative_pid, parse_pid};
use crate::failure::{explain, usage_error, Failure};
use lexopt::prelude::*;
use procfast::{ProcessMetrics, ProcessSnapshot};
use std::io::Write;

const METRICS_USAGE: &str = "\
usage: procfast metrics [PID] [--namespace NS] [--network]

Prints the process metrics of PID (default: this process) in the Prometheus text format,
the metric set of the Prometheus process collector.

  --namespace NS  prefix every metric name with NS_ (a Prometheus name: letters, digits,
                  _ and :, not starting with a digit)
  --network       add the network byte counters of the process's network namespace";

pub fn metrics(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let mut pid = None;
    let mut namespace = None;
    let mut network = false;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{METRICS_USAGE}")?),
            Long("namespace") => namespace = Some(args.value()?.string()?),
            Long("network") => network = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            Short(c) if pid.is_none() && c.is_ascii_digit() => {
                return Err(negative_pid(&mut args, c))
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if let Some(ns) = &namespace {
        ProcessSnapshot::check_namespace(ns)
            .map_err(|e| usage_error(format!("--namespace {ns:?}: {e}")))?;
    }
    let pid = pid.unwrap_or(std::process::id() as i32);
    let snapshot = ProcessMetrics::open(pid)
        .map(|m| m.with_network(network))
        .and_then(|mut m| m.snapshot())
        .map_err(|e| explain(pid, e))?;
    Ok(snapshot.write_text_io(&mut &mut *out, namespace.as_deref())?)
}
