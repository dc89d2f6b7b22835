//! Seccomp filters that refuse what container profiles refuse, for the tests of procfast's
//! fallbacks. A filter stays for the life of the process: install it only in a test run alone
//! (see `rerun`). The library's own unit tests include this file too.

/// Makes `socket(AF_NETLINK, …)` fail with EPERM for this thread, as container profiles do.
pub fn refuse_netlink_sockets() {
    refuse(libc::SYS_socket, Some(libc::AF_NETLINK as u32));
}

/// Makes `openat2` fail with EPERM for this thread, as seccomp profiles older than it did.
pub fn refuse_openat2() {
    refuse(libc::SYS_openat2, None);
}

/// Makes the syscall `nr` fail with EPERM for this thread: every call, or only those whose
/// first argument is `first_arg`.
#[allow(unsafe_code)]
fn refuse(nr: libc::c_long, first_arg: Option<u32>) {
    const LD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    const NR: u32 = 0; // offsetof(seccomp_data, nr)
    const ARG0: u32 = 16; // offsetof(seccomp_data, args[0]), its low half
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let deny = op(RET, 0, 0, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32);
    let allow = op(RET, 0, 0, libc::SECCOMP_RET_ALLOW);
    let mut filter = match first_arg {
        None => vec![op(LD, 0, 0, NR), op(JEQ, 0, 1, nr as u32), deny, allow],
        Some(arg) => vec![
            op(LD, 0, 0, NR),
            op(JEQ, 0, 3, nr as u32),
            op(LD, 0, 0, ARG0),
            op(JEQ, 0, 1, arg),
            deny,
            allow,
        ],
    };
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY:
    // - `program` points at `filter`, both alive for the call; the kernel copies the filter.
    // - The filter only turns the calls described above into EPERM, for this test process.
    let ret = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &program as *const libc::sock_fprog,
        )
    };
    assert_eq!(ret, 0, "install the seccomp filter");
}
