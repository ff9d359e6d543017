//! How much memory a run may still take, and which limit says so: the
//! machine's free memory, the process's address-space limit (`ulimit -v`)
//! and the memory limit of its cgroup (a container's, such as a Kubernetes
//! pod's). The least of those known wins: a run that fits the machine but
//! not its container is stopped by the kernel all the same.
//!
//! Each source is read by a pure function of its file's text (`/proc/meminfo`,
//! `/proc/self/status`, `/proc/self/cgroup`, `memory.max`, …), so the reading
//! is tested on sample contents; [`room`] reads the files. Where none can be
//! read (not Linux) nothing is known and the caller goes ahead.

use std::fmt;
use std::path::{Path, PathBuf};

/// The address space glibc reserves for each malloc arena (`HEAP_MAX_SIZE`
/// on 64-bit): every thread that allocates gets one, up to eight per core.
/// Only reserved, so it costs no memory, but it counts against
/// `ulimit -v`.
pub const ARENA_RESERVATION: u64 = 64 * 1024 * 1024;

/// A cgroup v1 limit at or above this (1 EiB) is the "no limit" value: the
/// kernel writes `i64::MAX` rounded down to a page, 9223372036854771712 on
/// x86-64.
const V1_NO_LIMIT: u64 = 1 << 60;

/// Which limit bounds the memory a run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The machine's free memory (`MemAvailable` in `/proc/meminfo`).
    FreeMemory,
    /// The process's address-space limit (`RLIMIT_AS`, `ulimit -v`), less
    /// what the process has mapped.
    AddressSpace,
    /// The memory limit of the process's cgroup or of a cgroup above it
    /// (v2 `memory.max`, v1 `memory.limit_in_bytes`), less what it uses.
    Cgroup,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::FreeMemory => "free memory",
            Limit::AddressSpace => "the process's address-space limit (ulimit -v)",
            Limit::Cgroup => "the container's memory limit (cgroup)",
        })
    }
}

/// The memory, in bytes, a run may still take under one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    pub limit: Limit,
    pub bytes: u64,
}

/// The least room of those given: the limit a growing run meets first.
pub fn least(rooms: impl IntoIterator<Item = Room>) -> Option<Room> {
    rooms.into_iter().min_by_key(|r| r.bytes)
}

/// The room a run of `threads` worker threads may still take now, under the
/// tightest limit known; `None` when no limit can be read (not Linux).
pub fn room(threads: usize) -> Option<Room> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    least(
        [free_memory(), address_space(arenas(threads, cores)), cgroup()]
            .into_iter()
            .flatten(),
    )
}

/// The machine's free memory: `MemAvailable` in `/proc/meminfo`.
fn free_memory() -> Option<Room> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some(Room {
        limit: Limit::FreeMemory,
        bytes: mem_available(&text)?,
    })
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes: what the kernel can
/// give without swapping, page cache it would drop included.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    kib_field(meminfo, "MemAvailable:")
}

/// `VmSize` of a `/proc/self/status` text, in bytes: the address space the
/// process has mapped, which is what `ulimit -v` bounds.
pub fn vm_size(status: &str) -> Option<u64> {
    kib_field(status, "VmSize:")
}

/// The figure of a `Key:   1234 kB` line, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let mut words = line[key.len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => kib.checked_mul(1024),
        Some(_) => None,
    }
}

/// How many malloc arenas a run may add with `threads` worker threads on
/// `cores` processors, in address space reserved. glibc gives each thread
/// that allocates an arena (up to eight per core); besides the workers, the
/// output is written by one thread per core and a few of its own (the
/// workbook's sheets). Other C libraries reserve nothing of the kind.
pub fn arenas(threads: usize, cores: usize) -> u64 {
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let count = (threads + cores + 2).min(8 * cores);
        count as u64 * ARENA_RESERVATION
    } else {
        0
    }
}

/// Room under an address-space limit of `limit` bytes (`None`: unlimited)
/// for a process that has `mapped` bytes mapped and will reserve `reserved`
/// more whatever it stores.
pub fn address_space_room(limit: Option<u64>, mapped: u64, reserved: u64) -> Option<Room> {
    Some(Room {
        limit: Limit::AddressSpace,
        bytes: limit?.saturating_sub(mapped).saturating_sub(reserved),
    })
}

/// The process's soft `RLIMIT_AS` less what it has mapped (`VmSize`) and the
/// arenas it may still reserve; `None` without a limit or `/proc`.
fn address_space(reserved: u64) -> Option<Room> {
    let limit = address_space_limit()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    address_space_room(Some(limit), vm_size(&status)?, reserved)
}

#[cfg(unix)]
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the place given.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    // `rlim_t` is narrower than u64 on some 32-bit systems.
    #[allow(clippy::useless_conversion)]
    Some(u64::from(limit.rlim_cur))
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<u64> {
    None
}

/// Where the process sits in the cgroup hierarchies, from
/// `/proc/self/cgroup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupPaths {
    /// Its cgroup in the v2 (unified) hierarchy: the `0::/PATH` line.
    pub unified: Option<String>,
    /// Its cgroup in the v1 hierarchy that holds the memory controller: the
    /// `N:…memory…:/PATH` line.
    pub memory_v1: Option<String>,
}

/// Reads a `/proc/self/cgroup` text: one `ID:CONTROLLERS:PATH` line per
/// hierarchy (v2's is `0::PATH`).
pub fn cgroup_paths(text: &str) -> CgroupPaths {
    let mut paths = CgroupPaths::default();
    for line in text.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            paths.unified = Some(path.to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            paths.memory_v1 = Some(path.to_string());
        }
    }
    paths
}

/// The folders whose limits bind a process in cgroup `path` of a hierarchy
/// mounted at `mount`: its own and each one above it, up to the mount. In a
/// container the mount holds only the container's own cgroup, so the
/// deeper folders are missing and the mount's own files are the container's.
pub fn cgroup_dirs(mount: &Path, path: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut dir = mount.to_path_buf();
    dirs.push(dir.clone());
    for part in path.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..") {
        dir.push(part);
        dirs.push(dir.clone());
    }
    dirs.reverse();
    dirs
}

/// A v2 `memory.max`: the limit in bytes, `None` for `max` (no limit).
pub fn v2_limit(memory_max: &str) -> Option<u64> {
    match memory_max.trim() {
        "max" => None,
        bytes => bytes.parse().ok(),
    }
}

/// A v1 `memory.limit_in_bytes`: the limit in bytes, `None` for the
/// "no limit" value.
pub fn v1_limit(limit_in_bytes: &str) -> Option<u64> {
    limit_in_bytes.trim().parse().ok().filter(|&b| b < V1_NO_LIMIT)
}

/// A figure of a cgroup's `memory.stat` (`inactive_file`, …), in bytes.
pub fn stat_field(memory_stat: &str, key: &str) -> Option<u64> {
    memory_stat.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok()).flatten()
    })
}

/// Room under a cgroup limit: the limit less what the cgroup uses, where
/// inactive file pages (page cache the kernel drops before it would stop
/// the process, as the kubelet counts a pod's working set) are not use.
pub fn cgroup_room(limit: u64, usage: u64, inactive_file: u64) -> Room {
    Room {
        limit: Limit::Cgroup,
        bytes: limit.saturating_sub(usage.saturating_sub(inactive_file)),
    }
}

/// The two cgroup layouts: their mount, and their files' names.
struct Hierarchy {
    mount: &'static str,
    limit: &'static str,
    usage: &'static str,
    /// In `memory.stat`: v1's `total_` figures include the cgroups below.
    inactive_file: &'static str,
    parse_limit: fn(&str) -> Option<u64>,
}

const V2: Hierarchy = Hierarchy {
    mount: "/sys/fs/cgroup",
    limit: "memory.max",
    usage: "memory.current",
    inactive_file: "inactive_file",
    parse_limit: v2_limit,
};

const V1: Hierarchy = Hierarchy {
    mount: "/sys/fs/cgroup/memory",
    limit: "memory.limit_in_bytes",
    usage: "memory.usage_in_bytes",
    inactive_file: "total_inactive_file",
    parse_limit: v1_limit,
};

/// The least room under the memory limits of the process's cgroup and
/// those above it, v2 and v1; `None` when none has a limit.
fn cgroup() -> Option<Room> {
    let paths = cgroup_paths(&std::fs::read_to_string("/proc/self/cgroup").ok()?);
    let mut rooms = Vec::new();
    for (hierarchy, path) in [(V2, paths.unified), (V1, paths.memory_v1)] {
        let Some(path) = path else { continue };
        for dir in cgroup_dirs(Path::new(hierarchy.mount), &path) {
            let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
            let Some(limit) = read(hierarchy.limit).and_then(|t| (hierarchy.parse_limit)(&t)) else {
                continue;
            };
            let Some(usage) = read(hierarchy.usage).and_then(|t| t.trim().parse().ok()) else {
                continue;
            };
            let inactive = read("memory.stat")
                .and_then(|t| stat_field(&t, hierarchy.inactive_file))
                .unwrap_or(0);
            rooms.push(cgroup_room(limit, usage, inactive));
        }
    }
    least(rooms)
}

/// The line printed when an allocation fails, written into `buffer` without
/// allocating (the allocator has just said no); its length in bytes. A
/// buffer of 256 bytes holds it whole, a shorter one gets as much as fits.
pub fn out_of_memory_line(size: usize, buffer: &mut [u8]) -> usize {
    use std::fmt::Write;
    struct Fixed<'a> {
        buffer: &'a mut [u8],
        len: usize,
    }
    impl Write for Fixed<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = self.buffer.len() - self.len;
            let n = s.len().min(room);
            self.buffer[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
            self.len += n;
            if n < s.len() { Err(fmt::Error) } else { Ok(()) }
        }
    }
    let mut line = Fixed { buffer, len: 0 };
    let mib = size as f64 / (1024.0 * 1024.0);
    let _ = if mib >= 1.0 {
        write!(
            line,
            "internal error: memory ran out (could not allocate {size} bytes, {mib:.1} MiB)"
        )
    } else {
        write!(line, "internal error: memory ran out (could not allocate {size} bytes)")
    }
    .and_then(|()| {
        line.write_str("; run fewer draws (--draws), fewer scenarios (--scenario), or on a machine with more memory\n")
    });
    line.len
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:       32781216 kB\n\
                           MemFree:         1234567 kB\n\
                           MemAvailable:   23541220 kB\n\
                           Buffers:          123456 kB\n";

    const STATUS: &str = "Name:\tupstream\n\
                          Umask:\t0022\n\
                          State:\tR (running)\n\
                          VmPeak:\t  433936 kB\n\
                          VmSize:\t   81940 kB\n\
                          VmLck:\t       0 kB\n\
                          VmHWM:\t   31092 kB\n";

    #[test]
    fn free_memory_is_mem_available() {
        assert_eq!(mem_available(MEMINFO), Some(23_541_220 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: lots kB\n"), None);
        assert_eq!(mem_available("MemAvailable: 12 MB\n"), None);
    }

    #[test]
    fn mapped_address_space_is_vm_size_not_vm_peak() {
        assert_eq!(vm_size(STATUS), Some(81_940 * 1024));
        assert_eq!(vm_size("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn address_space_room_is_the_limit_less_what_is_mapped_and_reserved() {
        let mib = 1024 * 1024;
        let room = address_space_room(Some(2_000_000 * 1024), 80 * mib, 4 * ARENA_RESERVATION).unwrap();
        assert_eq!(room.limit, Limit::AddressSpace);
        assert_eq!(room.bytes, 2_000_000 * 1024 - 80 * mib - 256 * mib);
        assert_eq!(
            address_space_room(Some(100 * mib), 80 * mib, 64 * mib).unwrap().bytes,
            0
        );
        assert_eq!(address_space_room(None, 80 * mib, 0), None);
    }

    #[test]
    fn arenas_are_counted_per_thread_up_to_eight_per_core() {
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert_eq!(arenas(2, 2), 6 * ARENA_RESERVATION);
            assert_eq!(arenas(1000, 2), 16 * ARENA_RESERVATION);
        } else {
            assert_eq!(arenas(2, 2), 0);
        }
    }

    #[test]
    fn cgroup_lines_give_the_v2_and_v1_memory_paths() {
        // cgroup v2 only, as in a Kubernetes pod with its own cgroup namespace.
        assert_eq!(
            cgroup_paths("0::/\n"),
            CgroupPaths {
                unified: Some("/".into()),
                memory_v1: None
            }
        );
        // v2 without a namespace: the pod's path is seen whole.
        assert_eq!(
            cgroup_paths("0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-0f3e.scope\n").unified,
            Some("/kubepods.slice/kubepods-burstable.slice/cri-containerd-0f3e.scope".into())
        );
        // v1 (and a hybrid's empty v2 line), memory alone or with others.
        let hybrid = "12:pids:/\n\
                      4:memory:/kubepods/burstable/pod7a1c/0f3e\n\
                      2:cpu,cpuacct:/\n\
                      1:name=systemd:/init.scope\n\
                      0::/init.scope\n";
        assert_eq!(
            cgroup_paths(hybrid),
            CgroupPaths {
                unified: Some("/init.scope".into()),
                memory_v1: Some("/kubepods/burstable/pod7a1c/0f3e".into())
            }
        );
        assert_eq!(cgroup_paths("3:cpu,memory:/job/42\n").memory_v1, Some("/job/42".into()));
        // A path may hold a colon; a line without three fields is skipped.
        assert_eq!(cgroup_paths("0::/a:b\nnonsense\n").unified, Some("/a:b".into()));
        assert_eq!(cgroup_paths(""), CgroupPaths::default());
    }

    #[test]
    fn cgroup_folders_run_from_the_process_s_own_up_to_the_mount() {
        assert_eq!(
            cgroup_dirs(Path::new("/sys/fs/cgroup"), "/user.slice/user-1000.slice"),
            [
                PathBuf::from("/sys/fs/cgroup/user.slice/user-1000.slice"),
                PathBuf::from("/sys/fs/cgroup/user.slice"),
                PathBuf::from("/sys/fs/cgroup"),
            ]
        );
        assert_eq!(
            cgroup_dirs(Path::new("/sys/fs/cgroup/memory"), "/"),
            [PathBuf::from("/sys/fs/cgroup/memory")]
        );
        // Nothing in the file leads outside the mount.
        assert_eq!(
            cgroup_dirs(Path::new("/sys/fs/cgroup"), "/../../etc"),
            [PathBuf::from("/sys/fs/cgroup/etc"), PathBuf::from("/sys/fs/cgroup")]
        );
    }

    #[test]
    fn a_v2_limit_of_max_is_none() {
        assert_eq!(v2_limit("2147483648\n"), Some(2_147_483_648));
        assert_eq!(v2_limit("max\n"), None);
        assert_eq!(v2_limit(""), None);
    }

    #[test]
    fn the_v1_no_limit_value_is_none() {
        assert_eq!(v1_limit("2147483648\n"), Some(2_147_483_648));
        assert_eq!(v1_limit("9223372036854771712\n"), None);
        // Another page size rounds i64::MAX down elsewhere.
        assert_eq!(v1_limit("9223372036854710272\n"), None);
        assert_eq!(v1_limit("-1\n"), None);
    }

    #[test]
    fn inactive_file_pages_are_read_from_memory_stat() {
        let v2 = "anon 104857600\nfile 52428800\nactive_file 10485760\ninactive_file 41943040\n";
        assert_eq!(stat_field(v2, "inactive_file"), Some(41_943_040));
        let v1 = "cache 4096\ninactive_file 8192\ntotal_inactive_file 16384\n";
        assert_eq!(stat_field(v1, "total_inactive_file"), Some(16_384));
        assert_eq!(stat_field(v1, "inactive_anon"), None);
    }

    #[test]
    fn cgroup_room_is_the_limit_less_use_other_than_dropable_cache() {
        let gib = 1 << 30;
        let room = cgroup_room(2 * gib, gib, gib / 4);
        assert_eq!(room.limit, Limit::Cgroup);
        assert_eq!(room.bytes, 2 * gib - gib + gib / 4);
        assert_eq!(cgroup_room(gib, 2 * gib, 0).bytes, 0);
    }

    #[test]
    fn the_least_room_wins() {
        let room = |limit, bytes| Room { limit, bytes };
        let rooms = [
            room(Limit::FreeMemory, 20 << 30),
            room(Limit::Cgroup, 2 << 30),
            room(Limit::AddressSpace, 3 << 30),
        ];
        assert_eq!(least(rooms), Some(room(Limit::Cgroup, 2 << 30)));
        assert_eq!(least([]), None);
    }

    #[test]
    fn limits_are_named_for_the_user() {
        assert_eq!(Limit::FreeMemory.to_string(), "free memory");
        assert_eq!(
            Limit::AddressSpace.to_string(),
            "the process's address-space limit (ulimit -v)"
        );
        assert_eq!(Limit::Cgroup.to_string(), "the container's memory limit (cgroup)");
    }

    #[test]
    fn the_out_of_memory_line_is_one_line_with_advice() {
        let mut buffer = [0u8; 256];
        let n = out_of_memory_line(409_600_000, &mut buffer);
        assert_eq!(
            std::str::from_utf8(&buffer[..n]).unwrap(),
            "internal error: memory ran out (could not allocate 409600000 bytes, 390.6 MiB); \
             run fewer draws (--draws), fewer scenarios (--scenario), or on a machine with more memory\n"
        );
        let n = out_of_memory_line(26, &mut buffer);
        assert!(
            std::str::from_utf8(&buffer[..n])
                .unwrap()
                .starts_with("internal error: memory ran out (could not allocate 26 bytes); run fewer draws")
        );
        // A short buffer gets as much as fits.
        let mut short = [0u8; 20];
        assert_eq!(out_of_memory_line(26, &mut short), 20);
        assert_eq!(&short, b"internal error: memo");
    }
}
