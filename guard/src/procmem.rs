//! Reading an exec's filename and argv out of the stopped target's memory.
//!
//! The target is blocked inside execve while the supervisor reads, but other threads of the
//! same process may still change the memory between this read and the kernel's own copy
//! (see `supervise` for how that TOCTOU is bounded). Reads use `process_vm_readv`, falling back
//! to `/proc/PID/mem` where that syscall is refused: Docker's default seccomp profile only
//! allows it with CAP_SYS_PTRACE (EPERM), some gVisor versions lack it (ENOSYS). Both honour
//! the same ptrace access check; after the first refusal the fallback is used directly. Reads never cross a page boundary in one request, so a string
//! ending just before an unmapped page is still read. Limits: 4096 arguments and 256 KiB in
//! total; beyond that the exec is denied (a real program never needs more here).

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once process_vm_readv was refused: later readers go straight to /proc/PID/mem.
static VM_READV_REFUSED: AtomicBool = AtomicBool::new(false);

pub const MAX_ARGS: usize = 4096;
pub const MAX_TOTAL: usize = 256 * 1024;
const PAGE: u64 = 4096;
/// PATH_MAX: the kernel refuses longer exec filenames anyway.
const MAX_PATH: usize = 4096;

/// Why an exec's arguments could not be read (the exec is then denied).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the target's memory: {0}")]
    Io(String),
    #[error("more than {MAX_ARGS} arguments")]
    TooManyArgs,
    #[error("arguments larger than {MAX_TOTAL} bytes in total")]
    TooLarge,
    #[error("file name longer than {MAX_PATH} bytes")]
    PathTooLong,
}

/// A reader for one target process.
pub struct Mem {
    pid: i32,
    /// Set after process_vm_readv reported ENOSYS.
    file: Option<std::fs::File>,
}

impl Mem {
    pub fn new(pid: i32) -> Mem {
        Mem { pid, file: None }
    }

    /// Reads up to `buf.len()` bytes at `addr`, stopping at the first unreadable byte.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = &self.file {
            return f.read_at(buf, addr);
        }
        if VM_READV_REFUSED.load(Ordering::Relaxed) {
            self.file = Some(std::fs::File::open(format!("/proc/{}/mem", self.pid))?);
            return self.read(addr, buf);
        }
        let local = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: buf.len(),
        };
        // SAFETY: `local` describes `buf`, which is writable for its whole length; the remote
        // iovec is only interpreted in the target's address space by the kernel.
        let n = unsafe { libc::process_vm_readv(self.pid, &local, 1, &remote, 1, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                // EPERM here is the engine's seccomp profile (the ptrace check would give
                // the same answer for /proc/PID/mem, which then reports it).
                VM_READV_REFUSED.store(true, Ordering::Relaxed);
                self.file = Some(std::fs::File::open(format!("/proc/{}/mem", self.pid))?);
                return self.read(addr, buf);
            }
            return Err(e);
        }
        Ok(n as usize)
    }

    /// Reads exactly `buf.len()` bytes, page by page.
    fn read_exact(&mut self, mut addr: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let room = (PAGE - addr % PAGE) as usize;
            let want = room.min(buf.len() - done);
            let n = self.read(addr, &mut buf[done..done + want])?;
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::EFAULT));
            }
            done += n;
            addr += n as u64;
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn cstr(&mut self, mut addr: u64, max: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        let mut page = [0u8; PAGE as usize];
        loop {
            let room = (PAGE - addr % PAGE) as usize;
            let n = self
                .read(addr, &mut page[..room])
                .map_err(|e| ReadError::Io(crate::sys::describe(&e)))?;
            if n == 0 {
                return Err(ReadError::Io("EFAULT (bad address)".to_owned()));
            }
            if let Some(i) = page[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&page[..i]);
                return if out.len() > max {
                    Err(ReadError::TooLarge)
                } else {
                    Ok(out)
                };
            }
            out.extend_from_slice(&page[..n]);
            if out.len() > max {
                return Err(ReadError::TooLarge);
            }
            addr += n as u64;
        }
    }

    /// The exec filename at `addr`.
    pub fn path(&mut self, addr: u64) -> Result<String, ReadError> {
        let b = self.cstr(addr, MAX_PATH).map_err(|e| match e {
            ReadError::TooLarge => ReadError::PathTooLong,
            e => e,
        })?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }

    /// The NULL-terminated argv array at `addr` (NULL itself means an empty argv).
    pub fn argv(&mut self, addr: u64) -> Result<Vec<String>, ReadError> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut total = 0usize;
        let mut ptrs = [0u8; 512];
        let mut at = addr;
        loop {
            let room = (PAGE - at % PAGE) as usize;
            let chunk = room.min(ptrs.len()) / 8 * 8;
            let chunk = if chunk == 0 { 8 } else { chunk };
            self.read_exact(at, &mut ptrs[..chunk])
                .map_err(|e| ReadError::Io(crate::sys::describe(&e)))?;
            for p in ptrs[..chunk].chunks_exact(8) {
                let mut a = [0u8; 8];
                a.copy_from_slice(p);
                let ptr = u64::from_le_bytes(a);
                if ptr == 0 {
                    return Ok(out);
                }
                if out.len() >= MAX_ARGS {
                    return Err(ReadError::TooManyArgs);
                }
                let s = self.cstr(ptr, MAX_TOTAL - total)?;
                total += s.len() + 1;
                if total > MAX_TOTAL {
                    return Err(ReadError::TooLarge);
                }
                out.push(String::from_utf8_lossy(&s).into_owned());
            }
            at += chunk as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn me() -> Mem {
        Mem::new(std::process::id() as i32)
    }

    #[test]
    fn reads_own_strings_and_argv() {
        let a = CString::new("hello").unwrap();
        let b = CString::new("with\nnewline and spaces").unwrap();
        let ptrs: Vec<u64> = vec![a.as_ptr() as u64, b.as_ptr() as u64, 0];
        let mut m = me();
        assert_eq!(m.path(a.as_ptr() as u64).unwrap(), "hello");
        assert_eq!(
            m.argv(ptrs.as_ptr() as u64).unwrap(),
            vec!["hello", "with\nnewline and spaces"]
        );
        assert!(m.argv(0).unwrap().is_empty());
    }

    #[test]
    fn strings_crossing_pages_and_limits() {
        // A 10000-byte string spans at least two page boundaries.
        let long = CString::new(vec![b'x'; 10_000]).unwrap();
        let mut m = me();
        assert_eq!(m.cstr(long.as_ptr() as u64, 20_000).unwrap().len(), 10_000);
        assert!(matches!(
            m.path(long.as_ptr() as u64),
            Err(ReadError::PathTooLong)
        ));
        let big = CString::new(vec![b'y'; 200 * 1024]).unwrap();
        let ptrs: Vec<u64> = vec![big.as_ptr() as u64, big.as_ptr() as u64, 0];
        assert!(matches!(
            m.argv(ptrs.as_ptr() as u64),
            Err(ReadError::TooLarge)
        ));
        let one = CString::new("a").unwrap();
        let many: Vec<u64> = std::iter::repeat_n(one.as_ptr() as u64, MAX_ARGS + 1)
            .chain([0])
            .collect();
        assert!(matches!(
            m.argv(many.as_ptr() as u64),
            Err(ReadError::TooManyArgs)
        ));
        let ok: Vec<u64> = std::iter::repeat_n(one.as_ptr() as u64, MAX_ARGS)
            .chain([0])
            .collect();
        assert_eq!(m.argv(ok.as_ptr() as u64).unwrap().len(), MAX_ARGS);
    }

    #[test]
    fn proc_mem_fallback_reads_the_same() {
        let a = CString::new("via /proc/self/mem").unwrap();
        let ptrs: Vec<u64> = vec![a.as_ptr() as u64, 0];
        let mut m = me();
        m.file = Some(std::fs::File::open("/proc/self/mem").unwrap());
        assert_eq!(
            m.argv(ptrs.as_ptr() as u64).unwrap(),
            vec!["via /proc/self/mem"]
        );
        assert!(matches!(m.path(8), Err(ReadError::Io(_))));
    }

    #[test]
    fn unmapped_address_is_an_error() {
        let mut m = me();
        assert!(matches!(m.path(8), Err(ReadError::Io(_))));
        let bad: Vec<u64> = vec![16, 0];
        assert!(m.argv(bad.as_ptr() as u64).is_err());
    }
}
