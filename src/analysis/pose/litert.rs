//! The LiteRT runtime (Google's TensorFlow Lite successor: XNNPACK kernels on the CPU),
//! loaded at run time from `libLiteRt.so` through its C API.
//!
//! Why not tract (pure Rust, what this module replaced): on the BlazePose lite landmark model
//! tract needed 17–22 ms per inference even with our own AVX depthwise kernels, XNNPACK 5.4 ms
//! on one thread, segmentation decoder included (docs/performance.md, "Speed and memory"). The library comes
//! from the `ai-edge-litert` wheel on PyPI, pinned by hash (`scripts/fetch-pose-model`); it
//! needs only glibc and libstdc++. It runs the `.tflite` files exactly as MediaPipe ships them.
//!
//! Only the dozen C functions this crate needs are bound, by hand, against LiteRT's
//! `litert/c/*.h` (v2.x; the symbols carry the version tag `VERS_1.0`, a stable ABI).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::error::PoseError;

/// The library's file name, installed next to the model bundle.
pub const LIBRARY_FILE: &str = "libLiteRt.so";

type Status = c_int;
type Handle = *mut c_void;
const STATUS_OK: Status = 0;
const HW_ACCELERATOR_CPU: c_int = 1;
const BUFFER_HOST_MEMORY: c_int = 1;
const ELEMENT_FLOAT32: u32 = 1;
const LOCK_READ: c_int = 0;
const LOCK_WRITE: c_int = 1;
const ENV_OPTION_MIN_LOGGER_SEVERITY: i32 = 25;
const ANY_TYPE_INT: i32 = 2;
const LOG_SEVERITY_ERROR: i64 = 3;
const MAX_RANK: usize = 8;
/// XNNPACK threads per inference of one compiled network. XNNPACK splits an operator's
/// outputs between threads, never a sum, so the results are bit-identical either way (all
/// eight clips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    One,
    /// The dense tracker's chain of frames is the critical path on clips that are movement
    /// throughout (dunk: 1.2 → 1.0 s), and the second thread uses what the scout and ffmpeg
    /// leave idle.
    Two,
}

impl Threads {
    /// LiteRT keeps a pointer to the options' text, hence static strings.
    fn cpu_options(self) -> &'static CStr {
        match self {
            Threads::One => c"num_threads = 1\n",
            Threads::Two => c"num_threads = 2\n",
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Layout {
    /// Bit field: rank in the low 7 bits, `has_strides` in bit 7.
    rank_bits: u32,
    dimensions: [i32; MAX_RANK],
    strides: [u32; MAX_RANK],
}

impl Layout {
    fn dims(&self) -> &[i32] {
        let rank = (self.rank_bits & 0x7f) as usize;
        &self.dimensions[..rank.min(MAX_RANK)]
    }

    fn elements(&self) -> usize {
        self.dims().iter().map(|&d| d.max(0) as usize).product()
    }
}

#[repr(C)]
struct RankedTensorType {
    element_type: u32,
    layout: Layout,
}

/// `LiteRtAny` with the one union member we use.
#[repr(C)]
struct Any {
    any_type: i32,
    int_value: i64,
}

#[repr(C)]
struct EnvOption {
    tag: i32,
    value: Any,
}

const _: () = assert!(std::mem::size_of::<RankedTensorType>() == 72);
const _: () = assert!(std::mem::size_of::<EnvOption>() == 24);

/// Declares the bound functions once: the table's fields and the lookups that fill it.
macro_rules! api {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        #[allow(non_snake_case)]
        struct Api {
            $($name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            /// # Safety
            /// `lib` is a handle from `dlopen` of a LiteRT C API library.
            unsafe fn resolve(lib: Handle) -> Result<Api, String> {
                Ok(Api {
                    $($name: {
                        let name = concat!(stringify!($name), "\0");
                        let sym = libc::dlsym(lib, name.as_ptr().cast());
                        if sym.is_null() {
                            return Err(format!("missing symbol {}", stringify!($name)));
                        }
                        std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) $(-> $ret)?>(sym)
                    },)*
                })
            }
        }
    };
}

api! {
    LiteRtCreateEnvironment: fn(c_int, *const EnvOption, *mut Handle) -> Status;
    LiteRtDestroyEnvironment: fn(Handle);
    LiteRtCreateModelFromBuffer: fn(Handle, *const c_void, usize, *mut Handle) -> Status;
    LiteRtDestroyModel: fn(Handle);
    LiteRtCreateOptions: fn(*mut Handle) -> Status;
    LiteRtDestroyOptions: fn(Handle);
    LiteRtSetOptionsHardwareAccelerators: fn(Handle, c_int) -> Status;
    LiteRtCreateOpaqueOptions: fn(*const c_char, *mut c_void, unsafe extern "C" fn(*mut c_void), *mut Handle) -> Status;
    LiteRtAddOpaqueOptions: fn(Handle, Handle) -> Status;
    LiteRtCreateCompiledModel: fn(Handle, Handle, Handle, *mut Handle) -> Status;
    LiteRtDestroyCompiledModel: fn(Handle);
    LiteRtGetModelSignature: fn(Handle, usize, *mut Handle) -> Status;
    LiteRtGetNumSignatureOutputs: fn(Handle, *mut usize) -> Status;
    LiteRtGetCompiledModelInputTensorLayout: fn(Handle, usize, usize, *mut Layout) -> Status;
    LiteRtGetCompiledModelOutputTensorLayouts: fn(Handle, usize, usize, *mut Layout, bool) -> Status;
    LiteRtCreateManagedTensorBuffer: fn(Handle, c_int, *const RankedTensorType, usize, *mut Handle) -> Status;
    LiteRtDestroyTensorBuffer: fn(Handle);
    LiteRtLockTensorBuffer: fn(Handle, *mut *mut c_void, c_int) -> Status;
    LiteRtUnlockTensorBuffer: fn(Handle) -> Status;
    LiteRtRunCompiledModel: fn(Handle, usize, usize, *mut Handle, usize, *mut Handle) -> Status;
}

/// The opaque options' payload is a static string: nothing to free.
unsafe extern "C" fn keep_payload(_: *mut c_void) {}

fn check(status: Status, what: &str) -> Result<(), String> {
    if status == STATUS_OK {
        Ok(())
    } else {
        Err(format!("LiteRT {what} failed (status {status})"))
    }
}

/// The loaded library and its environment, shared by every model and compiled model.
pub struct Runtime {
    api: Api,
    env: Handle,
}

// SAFETY: the environment is created once and only read afterwards; LiteRT documents it as
// shareable between compiled models on different threads.
unsafe impl Send for Runtime {}
unsafe impl Sync for Runtime {}

impl Runtime {
    /// Loads `library` (never unloaded: a process loads it at most once per model path).
    pub fn load(library: &Path) -> Result<Arc<Runtime>, PoseError> {
        if !library.is_file() {
            return Err(PoseError::ModelMissing {
                path: library.to_path_buf(),
            });
        }
        let invalid = |e: String| PoseError::ModelInvalid(format!("{}: {e}", library.display()));
        let c_path = CString::new(library.as_os_str().as_encoded_bytes())
            .map_err(|_| invalid("path contains a NUL byte".into()))?;
        // SAFETY: dlopen/dlsym on a NUL-terminated path; the symbols are checked one by one.
        let api = unsafe {
            let lib = libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            if lib.is_null() {
                let msg = CStr::from_ptr(libc::dlerror())
                    .to_string_lossy()
                    .into_owned();
                return Err(invalid(msg));
            }
            Api::resolve(lib).map_err(invalid)?
        };
        // Errors only: its info lines (accelerators it looked for) are not ours to print.
        let quiet = EnvOption {
            tag: ENV_OPTION_MIN_LOGGER_SEVERITY,
            value: Any {
                any_type: ANY_TYPE_INT,
                int_value: LOG_SEVERITY_ERROR,
            },
        };
        let mut env = std::ptr::null_mut();
        // SAFETY: one valid option, out-pointer to a local.
        check(
            unsafe { (api.LiteRtCreateEnvironment)(1, &quiet, &mut env) },
            "environment creation",
        )
        .map_err(invalid)?;
        Ok(Arc::new(Runtime { api, env }))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: every model and compiled model holds an Arc, so none outlives this.
        unsafe { (self.api.LiteRtDestroyEnvironment)(self.env) }
    }
}

/// A `.tflite` model parsed by LiteRT, to be compiled for running.
pub struct Model {
    runtime: Arc<Runtime>,
    handle: Handle,
    /// LiteRT reads the flatbuffer in place: it must live as long as the model.
    _bytes: Vec<u8>,
}

// SAFETY: after parsing, the model is only read by the models compiled from it; `PoseModel`
// compiles each once, at load, on one thread.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Model {
    pub fn parse(runtime: &Arc<Runtime>, bytes: Vec<u8>, what: &str) -> Result<Model, PoseError> {
        let mut handle = std::ptr::null_mut();
        // SAFETY: `bytes` is moved into the returned model, so it outlives the handle.
        check(
            unsafe {
                (runtime.api.LiteRtCreateModelFromBuffer)(
                    runtime.env,
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    &mut handle,
                )
            },
            "model parsing",
        )
        .map_err(|e| PoseError::ModelInvalid(format!("{what}: {e}")))?;
        Ok(Model {
            runtime: Arc::clone(runtime),
            handle,
            _bytes: bytes,
        })
    }

    /// Compiles the model for the CPU with its input and output buffers. `input` is the
    /// expected input shape, checked here so a different model fails at load, not per frame.
    pub fn compile(
        &self,
        what: &str,
        input: &[i32],
        threads: Threads,
    ) -> Result<Compiled, PoseError> {
        let invalid = |e: String| PoseError::ModelInvalid(format!("{what}: {e}"));
        let api = &self.runtime.api;
        let env = self.runtime.env;
        let mut compiled = Compiled {
            runtime: Arc::clone(&self.runtime),
            handle: std::ptr::null_mut(),
            input: Buffer::none(),
            input_len: 0,
            outputs: Vec::new(),
        };
        // SAFETY: every handle passed is live; out-pointers point to locals or to fields of
        // `compiled`, whose Drop releases whatever was created should a later step fail.
        unsafe {
            let mut options = std::ptr::null_mut();
            check((api.LiteRtCreateOptions)(&mut options), "options").map_err(invalid)?;
            let configured = (|| {
                check(
                    (api.LiteRtSetOptionsHardwareAccelerators)(options, HW_ACCELERATOR_CPU),
                    "accelerator choice",
                )?;
                let mut cpu = std::ptr::null_mut();
                check(
                    (api.LiteRtCreateOpaqueOptions)(
                        c"xnnpack".as_ptr(),
                        threads.cpu_options().as_ptr().cast_mut().cast(),
                        keep_payload,
                        &mut cpu,
                    ),
                    "CPU options",
                )?;
                // The options take ownership of the opaque options.
                check((api.LiteRtAddOpaqueOptions)(options, cpu), "CPU options")?;
                quiet_stderr(|| {
                    check(
                        (api.LiteRtCreateCompiledModel)(
                            env,
                            self.handle,
                            options,
                            &mut compiled.handle,
                        ),
                        "compilation",
                    )
                })
            })();
            (api.LiteRtDestroyOptions)(options);
            configured.map_err(invalid)?;

            let mut layout = std::mem::zeroed::<Layout>();
            check(
                (api.LiteRtGetCompiledModelInputTensorLayout)(compiled.handle, 0, 0, &mut layout),
                "input layout",
            )
            .map_err(invalid)?;
            if layout.dims() != input {
                return Err(invalid(format!(
                    "expected input {input:?}, the model has {:?}",
                    layout.dims()
                )));
            }
            compiled.input_len = layout.elements();
            compiled.input = Buffer::managed(&self.runtime, &layout).map_err(invalid)?;

            let mut signature = std::ptr::null_mut();
            check(
                (api.LiteRtGetModelSignature)(self.handle, 0, &mut signature),
                "signature",
            )
            .map_err(invalid)?;
            let mut n = 0usize;
            check(
                (api.LiteRtGetNumSignatureOutputs)(signature, &mut n),
                "output count",
            )
            .map_err(invalid)?;
            let mut layouts = vec![std::mem::zeroed::<Layout>(); n];
            check(
                (api.LiteRtGetCompiledModelOutputTensorLayouts)(
                    compiled.handle,
                    0,
                    n,
                    layouts.as_mut_ptr(),
                    false,
                ),
                "output layouts",
            )
            .map_err(invalid)?;
            for l in &layouts {
                let buffer = Buffer::managed(&self.runtime, l).map_err(invalid)?;
                compiled.outputs.push((buffer, l.elements()));
            }
        }
        Ok(compiled)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: compiled models hold no reference to the model once created.
        unsafe { (self.runtime.api.LiteRtDestroyModel)(self.handle) }
    }
}

/// XNNPACK prints one info line to stderr when it first starts, which LiteRT's log level
/// does not reach; keep it out of the CLI's output. Compiling happens a few times per
/// process, and nothing else of ours writes to stderr meanwhile.
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    static STDERR: Mutex<()> = Mutex::new(());
    let _guard = STDERR.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: plain descriptor juggling; on any failure the call simply runs unmuted.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if saved < 0 || null < 0 || libc::dup2(null, 2) < 0 {
            for fd in [saved, null] {
                if fd >= 0 {
                    libc::close(fd);
                }
            }
            return f();
        }
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}

/// A tensor buffer LiteRT allocated in host memory.
struct Buffer {
    runtime: Option<Arc<Runtime>>,
    handle: Handle,
}

impl Buffer {
    fn none() -> Buffer {
        Buffer {
            runtime: None,
            handle: std::ptr::null_mut(),
        }
    }

    fn managed(runtime: &Arc<Runtime>, layout: &Layout) -> Result<Buffer, String> {
        let tensor = RankedTensorType {
            element_type: ELEMENT_FLOAT32,
            layout: *layout,
        };
        let mut handle = std::ptr::null_mut();
        // SAFETY: valid tensor type, out-pointer to a local.
        check(
            unsafe {
                (runtime.api.LiteRtCreateManagedTensorBuffer)(
                    runtime.env,
                    BUFFER_HOST_MEMORY,
                    &tensor,
                    layout.elements() * 4,
                    &mut handle,
                )
            },
            "buffer allocation",
        )?;
        Ok(Buffer {
            runtime: Some(Arc::clone(runtime)),
            handle,
        })
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Some(rt) = &self.runtime {
            // SAFETY: created by LiteRtCreateManagedTensorBuffer, destroyed once.
            unsafe { (rt.api.LiteRtDestroyTensorBuffer)(self.handle) }
        }
    }
}

/// A model compiled for the CPU, with its own buffers: one thread at a time runs it.
pub struct Compiled {
    runtime: Arc<Runtime>,
    handle: Handle,
    input: Buffer,
    input_len: usize,
    outputs: Vec<(Buffer, usize)>,
}

// SAFETY: a compiled model is used by one thread at a time (`&mut self`), and may move
// between threads between runs.
unsafe impl Send for Compiled {}

impl Compiled {
    /// Runs the model on `input` and hands the outputs, in the model's order, to `read`.
    pub fn run<R>(
        &mut self,
        input: &[f32],
        read: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, PoseError> {
        if input.len() != self.input_len {
            return Err(PoseError::Inference(format!(
                "input has {} values, the model takes {}",
                input.len(),
                self.input_len
            )));
        }
        let api = &self.runtime.api;
        let failed = |e: String| PoseError::Inference(e);
        // SAFETY: buffers hold exactly the element counts checked or recorded at compile
        // time; each lock is paired with an unlock before the next use.
        unsafe {
            let mut ptr = std::ptr::null_mut();
            check(
                (api.LiteRtLockTensorBuffer)(self.input.handle, &mut ptr, LOCK_WRITE),
                "input lock",
            )
            .map_err(failed)?;
            std::ptr::copy_nonoverlapping(input.as_ptr(), ptr.cast::<f32>(), input.len());
            check(
                (api.LiteRtUnlockTensorBuffer)(self.input.handle),
                "input unlock",
            )
            .map_err(failed)?;

            let mut inputs = [self.input.handle];
            let mut outputs: Vec<Handle> = self.outputs.iter().map(|(b, _)| b.handle).collect();
            check(
                (api.LiteRtRunCompiledModel)(
                    self.handle,
                    0,
                    inputs.len(),
                    inputs.as_mut_ptr(),
                    outputs.len(),
                    outputs.as_mut_ptr(),
                ),
                "inference",
            )
            .map_err(failed)?;

            let mut views: Vec<&[f32]> = Vec::with_capacity(self.outputs.len());
            let mut locked = Vec::with_capacity(self.outputs.len());
            let mut status = Ok(());
            for (buffer, len) in &self.outputs {
                let mut ptr = std::ptr::null_mut();
                status = check(
                    (api.LiteRtLockTensorBuffer)(buffer.handle, &mut ptr, LOCK_READ),
                    "output lock",
                );
                if status.is_err() {
                    break;
                }
                locked.push(buffer.handle);
                views.push(std::slice::from_raw_parts(ptr.cast::<f32>(), *len));
            }
            let result = status.map(|()| read(&views));
            drop(views);
            for handle in locked {
                (api.LiteRtUnlockTensorBuffer)(handle);
            }
            result.map_err(failed)
        }
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        // The buffers (fields) are released after the model that ran on them.
        if !self.handle.is_null() {
            // SAFETY: created by LiteRtCreateCompiledModel, destroyed once.
            unsafe { (self.runtime.api.LiteRtDestroyCompiledModel)(self.handle) }
        }
    }
}
