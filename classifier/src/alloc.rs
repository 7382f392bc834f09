//! glibc allocator tuning for CPU training.
//!
//! A training step allocates and frees hundreds of tensors of 1 to 50 MB (activations, gradients, AdamW
//! temporaries; the word-embedding gradient alone is 47 MB). With glibc's defaults, blocks above the dynamic
//! mmap threshold (at most 32 MB) get a fresh `mmap` each time, and freed memory at the top of the heap is
//! returned to the kernel above 128 KB, so every step page-faults its working set back in: on the 2-core dev
//! box the AdamW update of MiniLM took 1.4 to 1.9 s per step with the defaults and 0.12 to 0.15 s with the heap
//! kept (see the crate README section on throughput). Keeping large blocks on the heap and not trimming it
//! trades resident memory (the peak working set stays allocated) for that time.
//!
//! glibc also gives each thread that allocates its own arena (rayon's workers included), and those arenas give
//! freed memory back to the kernel whatever the trim threshold: one arena for the process keeps it. With the
//! heap kept but per-thread arenas, the classifier benchmark (inference at 32 posts per call and two training
//! steps) took 1.26 M page faults and 3.9 s of system time; with one arena, 0.52 M and 1.8 s (2-core AMD EPYC).
//! Large tensor work takes the lock rarely, so one arena costs nothing measurable on a few cores.
//!
//! This changes process-wide allocator settings, so it is an explicit call: [`crate::train::train`] makes it,
//! and `blogbot-server` makes it at start-up, before any thread exists (an arena limit set later does not
//! rebind threads that already have one). It does nothing on non-glibc targets (musl, macOS,
//! Windows), where the server can use another allocator instead.

/// Keeps freed memory in the process instead of returning it to the kernel after every large free. Returns
/// whether the settings were applied.
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // Parameter numbers from glibc's <malloc.h>.
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only updates malloc's tunables, under malloc's own lock; any value is valid input
        // (out-of-range ones are rejected with a 0 return).
        unsafe {
            let a = mallopt(M_MMAP_THRESHOLD, 1 << 30);
            let b = mallopt(M_TRIM_THRESHOLD, 1 << 30);
            let c = mallopt(M_TOP_PAD, 64 << 20);
            let d = mallopt(M_ARENA_MAX, 1);
            a == 1 && b == 1 && c == 1 && d == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Returns the heap's free memory to the kernel (glibc `malloc_trim`, every arena). [`tune_allocator`] keeps
/// freed memory for the next training step; a server calls this when a training run is over, so the peak working
/// set of training does not stay resident while it only serves. Returns whether memory was released.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only walks malloc's own arenas under their locks; 0 is a valid pad.
        unsafe { malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
