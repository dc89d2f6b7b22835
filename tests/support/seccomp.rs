//! Seccomp filters that refuse what container profiles refuse, for the tests of procfast's
//! fallbacks. A filter stays for the life of the process: install it only in a test run alone
//! (see `rerun`).

/// Makes `socket(AF_NETLINK, …)` fail with EPERM for this thread, as container profiles do.
#[allow(unsafe_code)]
pub fn refuse_netlink_sockets() {
    const LD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let mut filter = [
        op(LD, 0, 0, 0),                        // seccomp_data.nr
        op(JEQ, 0, 3, libc::SYS_socket as u32), // socket(…)?
        op(LD, 0, 0, 16),                       // args[0], low half
        op(JEQ, 0, 1, libc::AF_NETLINK as u32), // AF_NETLINK?
        op(RET, 0, 0, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        op(RET, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY:
    // - `program` points at `filter`, both alive for the call; the kernel copies the filter.
    // - The filter only turns netlink `socket` calls into EPERM, for this test process.
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
