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
//! `litert/c/*.h` (v2.x; the symbols carry the version tag `VERS_1.0`, a stable ABI), and
//! looked up through `libloading`.
//!
//! Lifetimes carry LiteRT's ownership rules: a [`Compiled`] model borrows the [`Model`] it was
//! compiled from, and every object holds the [`Runtime`] whose environment made it, so none
//! can be used after what it depends on is gone. Thread safety comes from the types too: a
//! LiteRT object may be used from any thread but by one at a time, so raw handles are `Send`
//! only, and what is shared sits behind a `Mutex` or is used through `&mut`.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::ManuallyDrop;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use libloading::os::unix::{Library as UnixLibrary, RTLD_LOCAL, RTLD_NOW};
use libloading::Library;

use super::error::PoseError;

/// The library's file name, installed next to the model bundle.
pub const LIBRARY_FILE: &str = "libLiteRt.so";

type Status = c_int;
type Raw = *mut c_void;
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
#[derive(Clone, Copy, Default)]
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

/// One LiteRT object (environment, model, compiled model, options, buffer).
#[derive(Clone, Copy)]
struct Handle(Raw);

// SAFETY: LiteRT objects have no thread affinity (its C API keeps no thread-local state): any
// thread may use one, as long as one thread uses it at a time. That part is the owner's to
// enforce, by `&mut` or a `Mutex`, which is why `Handle` is not `Sync`.
unsafe impl Send for Handle {}

impl Handle {
    fn null() -> Handle {
        Handle(std::ptr::null_mut())
    }
}

/// Declares the bound functions once: the table's fields and the lookups that fill it.
macro_rules! api {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        #[allow(non_snake_case)]
        struct Api {
            $($name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            /// Keeps the functions above mapped, for the rest of the process: LiteRT's
            /// thread pools and exit handlers outlive its objects, and unloading the library
            /// under them crashes the process when it exits.
            _library: ManuallyDrop<Library>,
        }

        impl Api {
            fn resolve(library: Library) -> Result<Api, String> {
                Ok(Api {
                    $($name: {
                        let name = concat!(stringify!($name), "\0").as_bytes();
                        // SAFETY: the type is the C function's signature in LiteRT's headers
                        // (`litert/c/*.h`), and the pointer copied out of the symbol is only
                        // called while `_library` keeps the library mapped.
                        let symbol = unsafe { library.get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(name) };
                        *symbol.map_err(|e| format!("missing symbol {}: {e}", stringify!($name)))?
                    },)*
                    _library: ManuallyDrop::new(library),
                })
            }
        }
    };
}

api! {
    LiteRtCreateEnvironment: fn(c_int, *const EnvOption, *mut Raw) -> Status;
    LiteRtDestroyEnvironment: fn(Raw);
    LiteRtCreateModelFromBuffer: fn(Raw, *const c_void, usize, *mut Raw) -> Status;
    LiteRtDestroyModel: fn(Raw);
    LiteRtCreateOptions: fn(*mut Raw) -> Status;
    LiteRtDestroyOptions: fn(Raw);
    LiteRtSetOptionsHardwareAccelerators: fn(Raw, c_int) -> Status;
    LiteRtCreateOpaqueOptions: fn(*const c_char, *mut c_void, unsafe extern "C" fn(*mut c_void), *mut Raw) -> Status;
    LiteRtAddOpaqueOptions: fn(Raw, Raw) -> Status;
    LiteRtCreateCompiledModel: fn(Raw, Raw, Raw, *mut Raw) -> Status;
    LiteRtDestroyCompiledModel: fn(Raw);
    LiteRtGetModelSignature: fn(Raw, usize, *mut Raw) -> Status;
    LiteRtGetNumSignatureOutputs: fn(Raw, *mut usize) -> Status;
    LiteRtGetCompiledModelInputTensorLayout: fn(Raw, usize, usize, *mut Layout) -> Status;
    LiteRtGetCompiledModelOutputTensorLayouts: fn(Raw, usize, usize, *mut Layout, bool) -> Status;
    LiteRtCreateManagedTensorBuffer: fn(Raw, c_int, *const RankedTensorType, usize, *mut Raw) -> Status;
    LiteRtDestroyTensorBuffer: fn(Raw);
    LiteRtLockTensorBuffer: fn(Raw, *mut Raw, c_int) -> Status;
    LiteRtUnlockTensorBuffer: fn(Raw) -> Status;
    LiteRtRunCompiledModel: fn(Raw, usize, usize, *mut Raw, usize, *mut Raw) -> Status;
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

/// Locks `mutex`; a panic while it was held leaves no LiteRT call half-made.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The loaded library and its environment, shared by every model and compiled model.
pub struct Runtime {
    api: Api,
    /// Objects are created through the environment one at a time.
    env: Mutex<Handle>,
}

impl Runtime {
    /// Loads `library` (never unloaded: a process loads it once per model it loads).
    pub fn load(library: &Path) -> Result<Arc<Runtime>, PoseError> {
        if !library.is_file() {
            return Err(PoseError::ModelMissing {
                path: library.to_path_buf(),
            });
        }
        let invalid = |e: String| PoseError::ModelInvalid(format!("{}: {e}", library.display()));
        // SAFETY: loading runs the library's initialisers; LiteRT's only register its own
        // operators and accelerators, and touch nothing of this process.
        let opened = unsafe { UnixLibrary::open(Some(library.as_os_str()), RTLD_NOW | RTLD_LOCAL) };
        let api =
            Api::resolve(opened.map_err(|e| invalid(e.to_string()))?.into()).map_err(invalid)?;
        // Errors only: its info lines (accelerators it looked for) are not ours to print.
        let quiet = EnvOption {
            tag: ENV_OPTION_MIN_LOGGER_SEVERITY,
            value: Any {
                any_type: ANY_TYPE_INT,
                int_value: LOG_SEVERITY_ERROR,
            },
        };
        let mut env = Handle::null();
        // SAFETY: one valid option, and the out-pointer is a local.
        let status = unsafe { (api.LiteRtCreateEnvironment)(1, &quiet, &mut env.0) };
        check(status, "environment creation").map_err(invalid)?;
        Ok(Arc::new(Runtime {
            api,
            env: Mutex::new(env),
        }))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let env = *self.env.get_mut().unwrap_or_else(|p| p.into_inner());
        // SAFETY: every object made through the environment holds this runtime (an `Arc` or a
        // borrow), so none is left; the environment is destroyed once.
        unsafe { (self.api.LiteRtDestroyEnvironment)(env.0) }
    }
}

/// A `.tflite` model parsed by LiteRT, to be compiled for running.
pub struct Model {
    runtime: Arc<Runtime>,
    /// Compilations read the model one at a time.
    handle: Mutex<Handle>,
    /// LiteRT reads the flatbuffer in place: declared after `handle`, so it outlives it.
    _bytes: Vec<u8>,
}

impl Model {
    pub fn parse(runtime: &Arc<Runtime>, bytes: Vec<u8>, what: &str) -> Result<Model, PoseError> {
        let mut handle = Handle::null();
        let env = lock(&runtime.env);
        // SAFETY: the environment is live and locked; `bytes` moves into the returned model
        // (a move keeps its heap buffer in place), so it outlives the handle.
        let status = unsafe {
            (runtime.api.LiteRtCreateModelFromBuffer)(
                env.0,
                bytes.as_ptr().cast(),
                bytes.len(),
                &mut handle.0,
            )
        };
        drop(env);
        check(status, "model parsing")
            .map_err(|e| PoseError::ModelInvalid(format!("{what}: {e}")))?;
        Ok(Model {
            runtime: Arc::clone(runtime),
            handle: Mutex::new(handle),
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
    ) -> Result<Compiled<'_>, PoseError> {
        let invalid = |e: String| PoseError::ModelInvalid(format!("{what}: {e}"));
        let model = lock(&self.handle);
        let net = self.create_compiled(*model, threads).map_err(invalid)?;
        let layout = net.input_layout().map_err(invalid)?;
        if layout.dims() != input {
            return Err(invalid(format!(
                "expected input {input:?}, the model has {:?}",
                layout.dims()
            )));
        }
        let input_buffer = Buffer::managed(&self.runtime, &layout).map_err(invalid)?;
        let mut outputs = Vec::new();
        for layout in net
            .output_layouts(self.output_count(*model).map_err(invalid)?)
            .map_err(invalid)?
        {
            outputs.push(Buffer::managed(&self.runtime, &layout).map_err(invalid)?);
        }
        Ok(Compiled {
            net,
            input: input_buffer,
            outputs,
        })
    }

    fn create_compiled(&self, model: Handle, threads: Threads) -> Result<CompiledNet<'_>, String> {
        let api = &self.runtime.api;
        let options = Options::new(&self.runtime)?;
        // SAFETY: `options` is live until dropped below.
        let status =
            unsafe { (api.LiteRtSetOptionsHardwareAccelerators)(options.0 .0, HW_ACCELERATOR_CPU) };
        check(status, "accelerator choice")?;
        let mut cpu = Handle::null();
        // SAFETY: static NUL-terminated strings (LiteRT keeps the payload pointer), a no-op
        // deleter for it, and an out-pointer to a local.
        let status = unsafe {
            (api.LiteRtCreateOpaqueOptions)(
                c"xnnpack".as_ptr(),
                threads.cpu_options().as_ptr().cast_mut().cast(),
                keep_payload,
                &mut cpu.0,
            )
        };
        check(status, "CPU options")?;
        // SAFETY: both are live; the options take ownership of the opaque options.
        let status = unsafe { (api.LiteRtAddOpaqueOptions)(options.0 .0, cpu.0) };
        check(status, "CPU options")?;
        let mut handle = Handle::null();
        let env = lock(&self.runtime.env);
        // SAFETY: environment (locked), model (locked by the caller) and options are live; the
        // compiled model keeps no pointer to the options, which are destroyed after the call.
        let status =
            unsafe { (api.LiteRtCreateCompiledModel)(env.0, model.0, options.0 .0, &mut handle.0) };
        drop(env);
        check(status, "compilation")?;
        Ok(CompiledNet {
            runtime: &self.runtime,
            handle,
        })
    }

    fn output_count(&self, model: Handle) -> Result<usize, String> {
        let api = &self.runtime.api;
        let mut signature = Handle::null();
        // SAFETY: the model is live and locked by the caller; out-pointer to a local.
        let status = unsafe { (api.LiteRtGetModelSignature)(model.0, 0, &mut signature.0) };
        check(status, "signature")?;
        let mut n = 0usize;
        // SAFETY: the signature belongs to the live model; out-pointer to a local.
        let status = unsafe { (api.LiteRtGetNumSignatureOutputs)(signature.0, &mut n) };
        check(status, "output count")?;
        Ok(n)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        let handle = *self.handle.get_mut().unwrap_or_else(|p| p.into_inner());
        // SAFETY: every compiled model borrows this model, so none is left; destroyed once.
        unsafe { (self.runtime.api.LiteRtDestroyModel)(handle.0) }
    }
}

/// Compilation options, destroyed when dropped.
struct Options<'rt>(Handle, &'rt Runtime);

impl<'rt> Options<'rt> {
    fn new(runtime: &'rt Runtime) -> Result<Options<'rt>, String> {
        let mut options = Handle::null();
        // SAFETY: out-pointer to a local.
        let status = unsafe { (runtime.api.LiteRtCreateOptions)(&mut options.0) };
        check(status, "options")?;
        Ok(Options(options, runtime))
    }
}

impl Drop for Options<'_> {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateOptions, destroyed once.
        unsafe { (self.1.api.LiteRtDestroyOptions)(self.0 .0) }
    }
}

/// A compiled model's handle, destroyed when dropped.
struct CompiledNet<'model> {
    runtime: &'model Runtime,
    handle: Handle,
}

impl CompiledNet<'_> {
    fn input_layout(&self) -> Result<Layout, String> {
        let mut layout = Layout::default();
        // SAFETY: the compiled model is live; out-pointer to a local.
        let status = unsafe {
            (self.runtime.api.LiteRtGetCompiledModelInputTensorLayout)(
                self.handle.0,
                0,
                0,
                &mut layout,
            )
        };
        check(status, "input layout")?;
        Ok(layout)
    }

    fn output_layouts(&self, n: usize) -> Result<Vec<Layout>, String> {
        let mut layouts = vec![Layout::default(); n];
        // SAFETY: the compiled model is live and `layouts` has room for its `n` outputs.
        let status = unsafe {
            (self.runtime.api.LiteRtGetCompiledModelOutputTensorLayouts)(
                self.handle.0,
                0,
                n,
                layouts.as_mut_ptr(),
                false,
            )
        };
        check(status, "output layouts")?;
        Ok(layouts)
    }
}

impl Drop for CompiledNet<'_> {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateCompiledModel, destroyed once.
        unsafe { (self.runtime.api.LiteRtDestroyCompiledModel)(self.handle.0) }
    }
}

/// A tensor buffer of `len` f32 that LiteRT allocated in host memory.
struct Buffer<'rt> {
    runtime: &'rt Runtime,
    handle: Handle,
    len: usize,
}

impl<'rt> Buffer<'rt> {
    fn managed(runtime: &'rt Runtime, layout: &Layout) -> Result<Buffer<'rt>, String> {
        let tensor = RankedTensorType {
            element_type: ELEMENT_FLOAT32,
            layout: *layout,
        };
        let len = layout.elements();
        let mut handle = Handle::null();
        let env = lock(&runtime.env);
        // SAFETY: the environment is live and locked; a valid tensor type; out-pointer to a local.
        let status = unsafe {
            (runtime.api.LiteRtCreateManagedTensorBuffer)(
                env.0,
                BUFFER_HOST_MEMORY,
                &tensor,
                len * std::mem::size_of::<f32>(),
                &mut handle.0,
            )
        };
        drop(env);
        check(status, "buffer allocation")?;
        Ok(Buffer {
            runtime,
            handle,
            len,
        })
    }

    /// Maps the buffer's values into memory until the returned guard is dropped.
    fn lock(&self, mode: c_int, what: &str) -> Result<Locked<'_, 'rt>, String> {
        let mut ptr: Raw = std::ptr::null_mut();
        // SAFETY: the buffer is live; out-pointer to a local.
        let status =
            unsafe { (self.runtime.api.LiteRtLockTensorBuffer)(self.handle.0, &mut ptr, mode) };
        check(status, what)?;
        if ptr.is_null() || !ptr.cast::<f32>().is_aligned() {
            // Unlocked by the guard all the same.
            let _ = Locked {
                buffer: self,
                ptr: ptr.cast(),
            };
            return Err(format!("LiteRT {what} gave no usable memory"));
        }
        Ok(Locked {
            buffer: self,
            ptr: ptr.cast(),
        })
    }
}

impl Drop for Buffer<'_> {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateManagedTensorBuffer, destroyed once.
        unsafe { (self.runtime.api.LiteRtDestroyTensorBuffer)(self.handle.0) }
    }
}

/// A locked buffer: its `len` values readable (and, locked for writing, writable) at `ptr`.
struct Locked<'b, 'rt> {
    buffer: &'b Buffer<'rt>,
    ptr: *mut f32,
}

impl Locked<'_, '_> {
    fn values(&self) -> &[f32] {
        // SAFETY: while locked, LiteRT maps the buffer's `len` f32 (checked non-null and
        // aligned) at `ptr` and nothing else writes them; the slice cannot outlive the lock.
        unsafe { std::slice::from_raw_parts(self.ptr, self.buffer.len) }
    }

    fn values_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `values`, and `&mut self` makes this the only view of the values.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.buffer.len) }
    }
}

impl Drop for Locked<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: the buffer is live and was locked by `Buffer::lock`; unlocked once.
        unsafe { (self.buffer.runtime.api.LiteRtUnlockTensorBuffer)(self.buffer.handle.0) };
    }
}

/// A model compiled for the CPU, with its own buffers: one thread at a time runs it
/// (`&mut self`), and it may move between threads between runs.
pub struct Compiled<'model> {
    /// Declared first: the compiled model is destroyed before the buffers it ran on.
    net: CompiledNet<'model>,
    input: Buffer<'model>,
    outputs: Vec<Buffer<'model>>,
}

impl Compiled<'_> {
    /// Runs the model on `input` and hands the outputs, in the model's order, to `read`.
    pub fn run<R>(
        &mut self,
        input: &[f32],
        read: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, PoseError> {
        if input.len() != self.input.len {
            return Err(PoseError::Inference(format!(
                "input has {} values, the model takes {}",
                input.len(),
                self.input.len
            )));
        }
        let failed = PoseError::Inference;
        self.input
            .lock(LOCK_WRITE, "input lock")
            .map_err(failed)?
            .values_mut()
            .copy_from_slice(input);

        let mut inputs = [self.input.handle.0];
        let mut outputs: Vec<Raw> = self.outputs.iter().map(|b| b.handle.0).collect();
        // SAFETY: the compiled model and its buffers are live and unlocked, and the arrays
        // hold as many handles as their lengths say.
        let status = unsafe {
            (self.net.runtime.api.LiteRtRunCompiledModel)(
                self.net.handle.0,
                0,
                inputs.len(),
                inputs.as_mut_ptr(),
                outputs.len(),
                outputs.as_mut_ptr(),
            )
        };
        check(status, "inference").map_err(failed)?;

        let locked = self
            .outputs
            .iter()
            .map(|b| b.lock(LOCK_READ, "output lock"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        let views: Vec<&[f32]> = locked.iter().map(Locked::values).collect();
        Ok(read(&views))
    }
}
