//! Fuzzing of the cgroup parser: never a panic; what it accepts has one line per newline, each
//! line's controllers are its list without the commas (and empty names), and the lines printed
//! again in the kernel's format parse to the same lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::cgroup;

fuzz_target!(|data: &[u8]| {
    let Ok(cgroups) = cgroup::parse(data) else {
        return;
    };
    let lines: Vec<_> = cgroups.iter().collect();
    assert_eq!(lines.len(), data.iter().filter(|&&b| b == b'\n').count());
    let mut again = Vec::new();
    for line in &lines {
        let names: Vec<&[u8]> = line.controllers().collect();
        let kept: Vec<&[u8]> = line
            .controller_list
            .split(|&b| b == b',')
            .filter(|n| !n.is_empty())
            .collect();
        assert_eq!(names, kept);
        assert!(!line.path.contains(&b'\n'));
        assert_eq!(
            line.is_v2(),
            line.hierarchy_id == 0 && line.controller_list.is_empty()
        );
        again.extend_from_slice(format!("{}:", line.hierarchy_id).as_bytes());
        again.extend_from_slice(line.controller_list);
        again.push(b':');
        again.extend_from_slice(line.path);
        again.push(b'\n');
    }
    let reparsed = cgroup::parse(&again).unwrap();
    assert!(reparsed.iter().eq(lines.iter().copied()));
    assert_eq!(
        cgroups.v2_path(),
        lines.iter().find(|l| l.is_v2()).map(|l| l.path)
    );
});
