//! Plain loops compiled for the widest vectors the CPU has, chosen at run time.
//!
//! The build targets baseline x86-64 (SSE2: four floats a vector) so that one binary runs on
//! any x86-64 machine; the machines IPS runs on have AVX2 (eight) or AVX-512 (sixteen). Loops
//! written as slice zips are vectorised by the compiler for whichever extension the function
//! that contains them enables, so a hot loop is compiled once per extension and the widest one
//! the CPU has is called. Only the vector width changes: each lane does the same operations in
//! the same order (Rust never fuses a multiply and an add on its own), so every path gives
//! bit-identical results.

/// Runs `body` compiled for AVX-512 when the CPU has it, else for AVX2, else as built.
///
/// Pass `body` as `#[inline(always)] || …` calling `#[inline(always)]` functions: a closure the
/// compiler does not inline is compiled once, as built, and the wider paths gain nothing (a
/// profile then shows the loop under `{{closure}}`).
#[inline(always)]
pub fn on_widest_vectors<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { avx512(body) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { avx2(body) };
        }
    }
    body()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn avx512<R>(body: impl FnOnce() -> R) -> R {
    body()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2<R>(body: impl FnOnce() -> R) -> R {
    body()
}
