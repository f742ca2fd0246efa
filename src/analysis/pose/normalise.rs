//! Rewrites a TFLite model into the subset of TFLite that tract-tflite can load.
//!
//! MediaPipe's pose models store most weights as fp16 (`DEQUANTIZE` at run time) and some as
//! block-sparse tensors (`DENSIFY` at run time), and upsample with `DEPTH_TO_SPACE`; tract
//! supports none of those three ops. All of them are either constant folding or pure data
//! movement, so the model is rebuilt once at load time:
//! - every constant `DENSIFY` / `DEQUANTIZE` chain becomes one plain constant of the final type;
//! - every `DEPTH_TO_SPACE` becomes `RESHAPE [N,H,W,b,b,C'] → TRANSPOSE [0,1,3,2,4,5] →
//!   RESHAPE [N,H·b,W·b,C']`, TFLite's DCR channel order.
//!
//! The generated flatbuffer code has no object API, so the model is rebuilt bottom-up with the
//! table builders: buffers, tensors, operators, subgraph, operator codes, model. Tensor and buffer
//! indices stay where they were; new tensors and buffers are appended.

use std::collections::HashMap;

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};
use half::f16;
use tract_tflite::tflite::{self, BuiltinOperator, BuiltinOptions, DimensionType, TensorType};

use super::error::PoseError;

fn bad(msg: impl Into<String>) -> PoseError {
    PoseError::ModelInvalid(format!("normalising tflite graph: {}", msg.into()))
}

/// A constant produced by folding: its element type and little-endian bytes.
struct Folded {
    type_: TensorType,
    bytes: Vec<u8>,
}

/// A tensor added by the rewrite (intermediate or constant of an expanded op).
struct NewTensor {
    name: String,
    shape: Vec<i32>,
    type_: TensorType,
    /// Index into `Rewrite::new_buffers` for constants.
    data: Option<usize>,
}

/// An operator of the output graph, either kept from the source or synthesised.
enum OutOp<'a> {
    Kept(tflite::Operator<'a>),
    New {
        code: BuiltinOperator,
        inputs: Vec<i32>,
        outputs: Vec<i32>,
    },
}

struct Rewrite<'a> {
    n_tensors: usize,
    n_buffers: usize,
    folded: HashMap<i32, Folded>,
    new_tensors: Vec<NewTensor>,
    new_buffers: Vec<Vec<u8>>,
    ops: Vec<OutOp<'a>>,
}

impl Rewrite<'_> {
    fn add_tensor(
        &mut self,
        name: String,
        shape: Vec<i32>,
        type_: TensorType,
        data: Option<Vec<u8>>,
    ) -> i32 {
        let data = data.map(|d| {
            self.new_buffers.push(d);
            self.new_buffers.len() - 1
        });
        self.new_tensors.push(NewTensor {
            name,
            shape,
            type_,
            data,
        });
        (self.n_tensors + self.new_tensors.len() - 1) as i32
    }
}

fn resolve_code(code: &tflite::OperatorCode) -> BuiltinOperator {
    // Codes above 127 live only in the newer field; the deprecated i8 field then holds the
    // placeholder value 127.
    let deprecated = code.deprecated_builtin_code() as i32;
    BuiltinOperator(deprecated.max(code.builtin_code().0))
}

fn element_size(t: TensorType) -> Result<usize, PoseError> {
    Ok(match t {
        TensorType::FLOAT32 | TensorType::INT32 => 4,
        TensorType::FLOAT16 | TensorType::INT16 => 2,
        TensorType::INT8 | TensorType::UINT8 => 1,
        other => return Err(bad(format!("unsupported constant type {other:?}"))),
    })
}

fn tensor_shape(t: &tflite::Tensor) -> Vec<i32> {
    t.shape().map(|s| s.iter().collect()).unwrap_or_default()
}

/// Rewrites `model` (a `.tflite` flatbuffer) into one tract can load.
pub(crate) fn normalise(model_bytes: &[u8]) -> Result<Vec<u8>, PoseError> {
    let model =
        tflite::root_as_model(model_bytes).map_err(|e| bad(format!("not a tflite model: {e}")))?;
    let subgraphs = model.subgraphs().ok_or_else(|| bad("no subgraph"))?;
    if subgraphs.len() != 1 {
        return Err(bad(format!(
            "expected one subgraph, found {}",
            subgraphs.len()
        )));
    }
    let graph = subgraphs.get(0);
    let tensors = graph.tensors().ok_or_else(|| bad("no tensors"))?;
    let buffers = model.buffers().ok_or_else(|| bad("no buffers"))?;
    let codes = model
        .operator_codes()
        .ok_or_else(|| bad("no operator codes"))?;
    let operators = graph.operators().ok_or_else(|| bad("no operators"))?;

    let code_of = |op: &tflite::Operator| -> Result<BuiltinOperator, PoseError> {
        let ix = op.opcode_index() as usize;
        if ix >= codes.len() {
            return Err(bad("operator code index out of range"));
        }
        Ok(resolve_code(&codes.get(ix)))
    };
    let tensor = |ix: i32| -> Result<tflite::Tensor, PoseError> {
        if ix < 0 || ix as usize >= tensors.len() {
            return Err(bad(format!("tensor index {ix} out of range")));
        }
        Ok(tensors.get(ix as usize))
    };
    let raw_data = |t: &tflite::Tensor| -> Option<&[u8]> {
        let b = t.buffer() as usize;
        if b == 0 || b >= buffers.len() {
            return None;
        }
        buffers
            .get(b)
            .data()
            .map(|d| d.bytes())
            .filter(|d| !d.is_empty())
    };

    let mut rw = Rewrite {
        n_tensors: tensors.len(),
        n_buffers: buffers.len(),
        folded: HashMap::new(),
        new_tensors: vec![],
        new_buffers: vec![],
        ops: vec![],
    };

    for op in operators.iter() {
        let code = code_of(&op)?;
        let inputs: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        match code {
            BuiltinOperator::DENSIFY | BuiltinOperator::DEQUANTIZE => {
                let (&[input], &[output]) = (inputs.as_slice(), outputs.as_slice()) else {
                    return Err(bad(format!("{code:?} with unexpected arity")));
                };
                let src = tensor(input)?;
                let (src_type, src_bytes): (TensorType, Vec<u8>) = match rw.folded.remove(&input) {
                    Some(f) => (f.type_, f.bytes),
                    None => {
                        let data = raw_data(&src).ok_or_else(|| {
                            bad(format!(
                                "{code:?} of a non-constant tensor is not supported"
                            ))
                        })?;
                        (src.type_(), data.to_vec())
                    }
                };
                let folded = if code == BuiltinOperator::DENSIFY {
                    let sparsity = src
                        .sparsity()
                        .ok_or_else(|| bad("DENSIFY input has no sparsity parameters"))?;
                    let dense_shape = tensor_shape(&tensor(output)?);
                    Folded {
                        type_: src_type,
                        bytes: densify(
                            &src_bytes,
                            element_size(src_type)?,
                            &dense_shape,
                            &sparsity,
                        )?,
                    }
                } else {
                    if src_type != TensorType::FLOAT16 {
                        return Err(bad(format!(
                            "DEQUANTIZE from {src_type:?} is not supported"
                        )));
                    }
                    Folded {
                        type_: TensorType::FLOAT32,
                        bytes: fp16_to_f32_bytes(&src_bytes),
                    }
                };
                let expected = tensor_shape(&tensor(output)?)
                    .iter()
                    .map(|&d| d.max(0) as usize)
                    .product::<usize>()
                    * element_size(folded.type_)?;
                if folded.bytes.len() != expected {
                    return Err(bad(format!(
                        "folded constant has {} bytes, expected {expected}",
                        folded.bytes.len()
                    )));
                }
                rw.folded.insert(output, folded);
            }
            BuiltinOperator::DEPTH_TO_SPACE => {
                let (&[input], &[output]) = (inputs.as_slice(), outputs.as_slice()) else {
                    return Err(bad("DEPTH_TO_SPACE with unexpected arity"));
                };
                let block = op
                    .builtin_options_as_depth_to_space_options()
                    .ok_or_else(|| bad("DEPTH_TO_SPACE without options"))?
                    .block_size();
                let in_t = tensor(input)?;
                let shape = tensor_shape(&in_t);
                let &[n, h, w, c] = shape.as_slice() else {
                    return Err(bad("DEPTH_TO_SPACE input is not 4-D"));
                };
                if block <= 0 || c % (block * block) != 0 {
                    return Err(bad(
                        "DEPTH_TO_SPACE block size does not divide the channels",
                    ));
                }
                let c2 = c / (block * block);
                let base = tensor(output)?
                    .name()
                    .unwrap_or("depth_to_space")
                    .to_string();
                let split = [n, h, w, block, block, c2];
                let moved = [n, h, block, w, block, c2];
                let merged = [n, h * block, w * block, c2];
                let ty = in_t.type_();
                let k1 = rw.add_tensor(
                    format!("{base}/d2s_shape_split"),
                    vec![6],
                    TensorType::INT32,
                    Some(i32_bytes(&split)),
                );
                let t1 = rw.add_tensor(format!("{base}/d2s_split"), split.to_vec(), ty, None);
                let kp = rw.add_tensor(
                    format!("{base}/d2s_perm"),
                    vec![6],
                    TensorType::INT32,
                    Some(i32_bytes(&[0, 1, 3, 2, 4, 5])),
                );
                let t2 = rw.add_tensor(format!("{base}/d2s_moved"), moved.to_vec(), ty, None);
                let k2 = rw.add_tensor(
                    format!("{base}/d2s_shape_merge"),
                    vec![4],
                    TensorType::INT32,
                    Some(i32_bytes(&merged)),
                );
                rw.ops.push(OutOp::New {
                    code: BuiltinOperator::RESHAPE,
                    inputs: vec![input, k1],
                    outputs: vec![t1],
                });
                rw.ops.push(OutOp::New {
                    code: BuiltinOperator::TRANSPOSE,
                    inputs: vec![t1, kp],
                    outputs: vec![t2],
                });
                rw.ops.push(OutOp::New {
                    code: BuiltinOperator::RESHAPE,
                    inputs: vec![t2, k2],
                    outputs: vec![output],
                });
            }
            _ => {
                for &i in &inputs {
                    if i >= 0 && !rw.folded.contains_key(&i) && tensor(i)?.sparsity().is_some() {
                        return Err(bad(format!("{code:?} reads a sparse tensor directly")));
                    }
                }
                rw.ops.push(OutOp::Kept(op));
            }
        }
    }

    build(&model, &rw)
}

fn i32_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn fp16_to_f32_bytes(src: &[u8]) -> Vec<u8> {
    src.chunks_exact(2)
        .flat_map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32().to_le_bytes())
        .collect()
}

/// Expands a TFLite sparse tensor (TACO-style per-level DENSE / SPARSE_CSR metadata, optionally
/// block-sparse) into its dense row-major form. `values` holds only the stored elements, in
/// traversal order.
fn densify(
    values: &[u8],
    elem: usize,
    dense_shape: &[i32],
    sp: &tflite::SparsityParameters,
) -> Result<Vec<u8>, PoseError> {
    let rank = dense_shape.len();
    let order: Vec<usize> = sp
        .traversal_order()
        .ok_or_else(|| bad("sparse tensor without traversal order"))?
        .iter()
        .map(|v| v as usize)
        .collect();
    let block_map: Vec<usize> = sp
        .block_map()
        .map(|v| v.iter().map(|x| x as usize).collect())
        .unwrap_or_default();
    let meta = sp
        .dim_metadata()
        .ok_or_else(|| bad("sparse tensor without dimension metadata"))?;
    let levels = order.len();
    if meta.len() != levels
        || levels != rank + block_map.len()
        || order.iter().any(|&d| d >= levels)
    {
        return Err(bad("inconsistent sparsity parameters"));
    }
    if block_map.iter().any(|&d| d >= rank) {
        return Err(bad("block map refers to a missing dimension"));
    }

    // Per level: either a dense extent or the CSR segment/index arrays.
    enum Level {
        Dense(usize),
        Csr(Vec<usize>, Vec<usize>),
    }
    let segments_of = |m: &tflite::DimensionMetadata| -> Option<Vec<usize>> {
        match m.array_segments_type() {
            tflite::SparseIndexVector::Int32Vector => m
                .array_segments_as_int_32_vector()?
                .values()
                .map(|v| v.iter().map(|x| x.max(0) as usize).collect()),
            tflite::SparseIndexVector::Uint16Vector => m
                .array_segments_as_uint_16_vector()?
                .values()
                .map(|v| v.iter().map(|x| x as usize).collect()),
            tflite::SparseIndexVector::Uint8Vector => m
                .array_segments_as_uint_8_vector()?
                .values()
                .map(|v| v.iter().map(|x| x as usize).collect()),
            _ => None,
        }
    };
    let indices_of = |m: &tflite::DimensionMetadata| -> Option<Vec<usize>> {
        match m.array_indices_type() {
            tflite::SparseIndexVector::Int32Vector => m
                .array_indices_as_int_32_vector()?
                .values()
                .map(|v| v.iter().map(|x| x.max(0) as usize).collect()),
            tflite::SparseIndexVector::Uint16Vector => m
                .array_indices_as_uint_16_vector()?
                .values()
                .map(|v| v.iter().map(|x| x as usize).collect()),
            tflite::SparseIndexVector::Uint8Vector => m
                .array_indices_as_uint_8_vector()?
                .values()
                .map(|v| v.iter().map(|x| x as usize).collect()),
            _ => None,
        }
    };
    let mut level_info = Vec::with_capacity(levels);
    for l in 0..levels {
        let m = meta.get(l);
        level_info.push(match m.format() {
            DimensionType::DENSE => Level::Dense(m.dense_size().max(0) as usize),
            DimensionType::SPARSE_CSR => Level::Csr(
                segments_of(&m).ok_or_else(|| bad("CSR level without segment array"))?,
                indices_of(&m).ok_or_else(|| bad("CSR level without index array"))?,
            ),
            other => return Err(bad(format!("unsupported sparse dimension type {other:?}"))),
        });
    }

    // Block sizes per original dimension (1 when that dimension is not blocked).
    let mut block_size = vec![1usize; rank];
    for (k, &d) in block_map.iter().enumerate() {
        let level = order
            .iter()
            .position(|&o| o == rank + k)
            .ok_or_else(|| bad("block dimension not traversed"))?;
        match level_info[level] {
            Level::Dense(s) if s > 0 => block_size[d] = s,
            _ => return Err(bad("block dimensions must be dense")),
        }
    }
    let dense: Vec<usize> = dense_shape.iter().map(|&d| d.max(0) as usize).collect();
    let mut strides = vec![1usize; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * dense[d + 1];
    }
    let total: usize = dense.iter().product();
    let mut out = vec![0u8; total * elem];

    struct Walk<'w> {
        rank: usize,
        order: &'w [usize],
        block_map: &'w [usize],
        block_size: &'w [usize],
        strides: &'w [usize],
        levels: &'w [Level],
        values: &'w [u8],
        elem: usize,
        next_value: usize,
        coords: Vec<usize>,
        out: &'w mut [u8],
    }
    impl Walk<'_> {
        fn visit(&mut self, level: usize, prev: usize) -> Result<(), PoseError> {
            if level == self.order.len() {
                let mut at = 0;
                for d in 0..self.rank {
                    at += self.coords[d] * self.block_size[d] * self.strides[d];
                }
                for (k, &d) in self.block_map.iter().enumerate() {
                    at += self.coords[self.rank + k] * self.strides[d];
                }
                let src = self.next_value * self.elem;
                let value = self
                    .values
                    .get(src..src + self.elem)
                    .ok_or_else(|| bad("sparse tensor has too few values"))?;
                let dst = self
                    .out
                    .get_mut(at * self.elem..(at + 1) * self.elem)
                    .ok_or_else(|| bad("sparse index out of range"))?;
                dst.copy_from_slice(value);
                self.next_value += 1;
                return Ok(());
            }
            let dim = self.order[level];
            match &self.levels[level] {
                Level::Dense(size) => {
                    for i in 0..*size {
                        self.coords[dim] = i;
                        self.visit(level + 1, prev * size + i)?;
                    }
                }
                Level::Csr(segments, indices) => {
                    let (&lo, &hi) = segments
                        .get(prev)
                        .zip(segments.get(prev + 1))
                        .ok_or_else(|| bad("sparse segment out of range"))?;
                    for i in lo..hi {
                        self.coords[dim] = *indices
                            .get(i)
                            .ok_or_else(|| bad("sparse index array too short"))?;
                        self.visit(level + 1, i)?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut walk = Walk {
        rank,
        order: &order,
        block_map: &block_map,
        block_size: &block_size,
        strides: &strides,
        levels: &level_info,
        values,
        elem,
        next_value: 0,
        coords: vec![0; levels],
        out: &mut out,
    };
    walk.visit(0, 0)?;
    Ok(out)
}

type Offsets<'b, T> = WIPOffset<Vector<'b, ForwardsUOffset<T>>>;

fn build(model: &tflite::Model, rw: &Rewrite) -> Result<Vec<u8>, PoseError> {
    // `normalise` has already checked that these tables exist.
    let graph = model.subgraphs().unwrap().get(0);
    let tensors = graph.tensors().unwrap();
    let buffers = model.buffers().unwrap();
    let src_codes = model.operator_codes().unwrap();

    // Only buffers still read by the new graph are copied; the fp16 and sparse originals are
    // replaced by their folded forms, which halves the work of tract's loader.
    let mut live_tensor = vec![false; rw.n_tensors];
    let mut mark = |t: i32| {
        if t >= 0 && (t as usize) < live_tensor.len() {
            live_tensor[t as usize] = true;
        }
    };
    for op in &rw.ops {
        match op {
            OutOp::Kept(op) => {
                op.inputs().into_iter().flatten().for_each(&mut mark);
                op.outputs().into_iter().flatten().for_each(&mut mark);
            }
            OutOp::New {
                inputs, outputs, ..
            } => inputs.iter().chain(outputs).copied().for_each(&mut mark),
        }
    }
    graph.inputs().into_iter().flatten().for_each(&mut mark);
    graph.outputs().into_iter().flatten().for_each(&mut mark);
    let mut live_buffer = vec![false; rw.n_buffers];
    let mut folded_buffer: HashMap<i32, u32> = HashMap::new();
    let mut extra_buffers: Vec<&[u8]> = rw.new_buffers.iter().map(|b| b.as_slice()).collect();
    let mut folded_keys: Vec<&i32> = rw.folded.keys().collect();
    folded_keys.sort();
    for &t in folded_keys {
        if live_tensor.get(t as usize).copied().unwrap_or(false) {
            extra_buffers.push(&rw.folded[&t].bytes);
            folded_buffer.insert(t, (rw.n_buffers + extra_buffers.len() - 1) as u32);
        }
    }
    for (i, t) in tensors.iter().enumerate() {
        if live_tensor[i] && !folded_buffer.contains_key(&(i as i32)) {
            if let Some(b) = live_buffer.get_mut(t.buffer() as usize) {
                *b = true;
            }
        }
    }

    // Sized for everything it will hold, so it never grows: each growth copies the whole
    // buffer and briefly holds both, which set the process's peak memory.
    let payload: usize = extra_buffers.iter().map(|d| d.len()).sum::<usize>()
        + buffers
            .iter()
            .enumerate()
            .filter(|&(i, _)| live_buffer[i])
            .map(|(_, buf)| buf.data().map_or(0, |d| d.len()))
            .sum::<usize>();
    let mut b = FlatBufferBuilder::with_capacity(payload + payload / 16 + (1 << 20));

    // Buffers.
    let mut buffer_offsets = Vec::with_capacity(rw.n_buffers + extra_buffers.len());
    for (i, buf) in buffers.iter().enumerate() {
        let data = match buf.data() {
            Some(d) if live_buffer[i] && !d.is_empty() => Some(aligned_bytes(&mut b, d.bytes())),
            _ => None,
        };
        buffer_offsets.push(tflite::Buffer::create(&mut b, &tflite::BufferArgs { data }));
    }
    let first_new_buffer = buffer_offsets.len();
    for data in &extra_buffers {
        let data = Some(aligned_bytes(&mut b, data));
        buffer_offsets.push(tflite::Buffer::create(&mut b, &tflite::BufferArgs { data }));
    }
    let buffers_vec = b.create_vector(&buffer_offsets);

    // Tensors.
    let mut tensor_offsets = Vec::with_capacity(rw.n_tensors + rw.new_tensors.len());
    for (i, t) in tensors.iter().enumerate() {
        let folded = rw.folded.get(&(i as i32));
        let shape = t
            .shape()
            .map(|s| b.create_vector(&s.iter().collect::<Vec<i32>>()));
        let shape_signature = t
            .shape_signature()
            .map(|s| b.create_vector(&s.iter().collect::<Vec<i32>>()));
        let name = t.name().map(|n| b.create_string(n));
        let (type_, buffer, quantization) = match (folded, folded_buffer.get(&(i as i32))) {
            (Some(f), Some(&buf)) => (f.type_, buf, None),
            (Some(f), None) => (f.type_, 0, None),
            (None, _) => (
                t.type_(),
                t.buffer(),
                t.quantization()
                    .map(|q| copy_quantization(&mut b, &q))
                    .transpose()?,
            ),
        };
        tensor_offsets.push(tflite::Tensor::create(
            &mut b,
            &tflite::TensorArgs {
                shape,
                type_,
                buffer,
                name,
                quantization,
                is_variable: t.is_variable(),
                sparsity: None,
                shape_signature,
                has_rank: t.has_rank(),
                variant_tensors: None,
            },
        ));
    }
    for t in &rw.new_tensors {
        let shape = Some(b.create_vector(&t.shape));
        let name = Some(b.create_string(&t.name));
        let buffer = t.data.map(|d| (first_new_buffer + d) as u32).unwrap_or(0);
        tensor_offsets.push(tflite::Tensor::create(
            &mut b,
            &tflite::TensorArgs {
                shape,
                type_: t.type_,
                buffer,
                name,
                has_rank: true,
                ..Default::default()
            },
        ));
    }
    let tensors_vec = b.create_vector(&tensor_offsets);

    // Operator codes: the source's, plus RESHAPE / TRANSPOSE when the rewrite needs them.
    let mut code_list: Vec<(BuiltinOperator, i32)> = src_codes
        .iter()
        .map(|c| (resolve_code(&c), c.version().max(1)))
        .collect();
    if code_list.iter().any(|c| c.0 == BuiltinOperator::CUSTOM) {
        return Err(bad("custom operators are not supported"));
    }
    let code_index = |op: BuiltinOperator, list: &mut Vec<(BuiltinOperator, i32)>| -> u32 {
        match list.iter().position(|c| c.0 == op) {
            Some(i) => i as u32,
            None => {
                list.push((op, 1));
                (list.len() - 1) as u32
            }
        }
    };
    let mut operator_offsets = Vec::with_capacity(rw.ops.len());
    for op in &rw.ops {
        let offset = match op {
            OutOp::Kept(op) => {
                let inputs = op
                    .inputs()
                    .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
                let outputs = op
                    .outputs()
                    .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
                let intermediates = op
                    .intermediates()
                    .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
                let (builtin_options_type, builtin_options) = copy_options(&mut b, op)?;
                tflite::Operator::create(
                    &mut b,
                    &tflite::OperatorArgs {
                        opcode_index: op.opcode_index(),
                        inputs,
                        outputs,
                        builtin_options_type,
                        builtin_options,
                        intermediates,
                        ..Default::default()
                    },
                )
            }
            OutOp::New {
                code,
                inputs,
                outputs,
            } => {
                let opcode_index = code_index(*code, &mut code_list);
                let inputs = Some(b.create_vector(inputs));
                let outputs = Some(b.create_vector(outputs));
                let (builtin_options_type, builtin_options) = if *code == BuiltinOperator::RESHAPE {
                    (
                        BuiltinOptions::ReshapeOptions,
                        Some(
                            tflite::ReshapeOptions::create(&mut b, &Default::default())
                                .as_union_value(),
                        ),
                    )
                } else {
                    (
                        BuiltinOptions::TransposeOptions,
                        Some(
                            tflite::TransposeOptions::create(&mut b, &Default::default())
                                .as_union_value(),
                        ),
                    )
                };
                tflite::Operator::create(
                    &mut b,
                    &tflite::OperatorArgs {
                        opcode_index,
                        inputs,
                        outputs,
                        builtin_options_type,
                        builtin_options,
                        ..Default::default()
                    },
                )
            }
        };
        operator_offsets.push(offset);
    }
    let operators_vec = b.create_vector(&operator_offsets);
    let inputs = graph
        .inputs()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
    let outputs = graph
        .outputs()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
    let name = graph.name().map(|n| b.create_string(n));
    let subgraph = tflite::SubGraph::create(
        &mut b,
        &tflite::SubGraphArgs {
            tensors: Some(tensors_vec),
            inputs,
            outputs,
            operators: Some(operators_vec),
            name,
        },
    );
    let subgraphs: Offsets<tflite::SubGraph> = b.create_vector(&[subgraph]);

    let code_offsets: Vec<_> = code_list
        .iter()
        .map(|&(op, version)| {
            tflite::OperatorCode::create(
                &mut b,
                &tflite::OperatorCodeArgs {
                    // The deprecated field is what older readers use; it saturates at 127.
                    deprecated_builtin_code: op.0.min(127) as i8,
                    custom_code: None,
                    version,
                    builtin_code: op,
                },
            )
        })
        .collect();
    let codes_vec = b.create_vector(&code_offsets);
    let description = model.description().map(|d| b.create_string(d));
    let root = tflite::Model::create(
        &mut b,
        &tflite::ModelArgs {
            version: model.version(),
            operator_codes: Some(codes_vec),
            subgraphs: Some(subgraphs),
            description,
            buffers: Some(buffers_vec),
            ..Default::default()
        },
    );
    b.finish(root, Some("TFL3"));
    Ok(b.finished_data().to_vec())
}

/// tract copies every constant out of the flatbuffer into its own aligned storage, so the
/// blobs need no particular alignment here.
fn aligned_bytes<'b>(b: &mut FlatBufferBuilder<'b>, data: &[u8]) -> WIPOffset<Vector<'b, u8>> {
    b.create_vector(data)
}

fn copy_quantization<'b>(
    b: &mut FlatBufferBuilder<'b>,
    q: &tflite::QuantizationParameters,
) -> Result<WIPOffset<tflite::QuantizationParameters<'b>>, PoseError> {
    if q.details().is_some() {
        return Err(bad("custom quantization details are not supported"));
    }
    let min = q
        .min()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<f32>>()));
    let max = q
        .max()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<f32>>()));
    let scale = q
        .scale()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<f32>>()));
    let zero_point = q
        .zero_point()
        .map(|v| b.create_vector(&v.iter().collect::<Vec<i64>>()));
    Ok(tflite::QuantizationParameters::create(
        b,
        &tflite::QuantizationParametersArgs {
            min,
            max,
            scale,
            zero_point,
            quantized_dimension: q.quantized_dimension(),
            ..Default::default()
        },
    ))
}

/// Copies an operator's options table. Each type is copied field by field because the
/// generated code offers no generic table copy; unknown types fail loudly rather than being
/// silently dropped (a missing stride or activation would still load, but compute garbage).
fn copy_options<'b>(
    b: &mut FlatBufferBuilder<'b>,
    op: &tflite::Operator,
) -> Result<
    (
        BuiltinOptions,
        Option<WIPOffset<flatbuffers::UnionWIPOffset>>,
    ),
    PoseError,
> {
    let kind = op.builtin_options_type();
    let missing = || bad(format!("operator options {kind:?} missing"));
    macro_rules! empty {
        ($t:ident) => {
            tflite::$t::create(b, &Default::default()).as_union_value()
        };
    }
    let offset = match kind {
        BuiltinOptions::NONE => return Ok((kind, None)),
        BuiltinOptions::Conv2DOptions => {
            let o = op
                .builtin_options_as_conv_2_doptions()
                .ok_or_else(missing)?;
            tflite::Conv2DOptions::create(
                b,
                &tflite::Conv2DOptionsArgs {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    fused_activation_function: o.fused_activation_function(),
                    dilation_w_factor: o.dilation_w_factor(),
                    dilation_h_factor: o.dilation_h_factor(),
                    ..Default::default()
                },
            )
            .as_union_value()
        }
        BuiltinOptions::DepthwiseConv2DOptions => {
            let o = op
                .builtin_options_as_depthwise_conv_2_doptions()
                .ok_or_else(missing)?;
            tflite::DepthwiseConv2DOptions::create(
                b,
                &tflite::DepthwiseConv2DOptionsArgs {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    depth_multiplier: o.depth_multiplier(),
                    fused_activation_function: o.fused_activation_function(),
                    dilation_w_factor: o.dilation_w_factor(),
                    dilation_h_factor: o.dilation_h_factor(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::Pool2DOptions => {
            let o = op
                .builtin_options_as_pool_2_doptions()
                .ok_or_else(missing)?;
            tflite::Pool2DOptions::create(
                b,
                &tflite::Pool2DOptionsArgs {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    filter_width: o.filter_width(),
                    filter_height: o.filter_height(),
                    fused_activation_function: o.fused_activation_function(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::AddOptions => {
            let o = op.builtin_options_as_add_options().ok_or_else(missing)?;
            tflite::AddOptions::create(
                b,
                &tflite::AddOptionsArgs {
                    fused_activation_function: o.fused_activation_function(),
                    pot_scale_int16: o.pot_scale_int16(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::SubOptions => {
            let o = op.builtin_options_as_sub_options().ok_or_else(missing)?;
            tflite::SubOptions::create(
                b,
                &tflite::SubOptionsArgs {
                    fused_activation_function: o.fused_activation_function(),
                    pot_scale_int16: o.pot_scale_int16(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::MulOptions => {
            let o = op.builtin_options_as_mul_options().ok_or_else(missing)?;
            tflite::MulOptions::create(
                b,
                &tflite::MulOptionsArgs {
                    fused_activation_function: o.fused_activation_function(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::DivOptions => {
            let o = op.builtin_options_as_div_options().ok_or_else(missing)?;
            tflite::DivOptions::create(
                b,
                &tflite::DivOptionsArgs {
                    fused_activation_function: o.fused_activation_function(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::ConcatenationOptions => {
            let o = op
                .builtin_options_as_concatenation_options()
                .ok_or_else(missing)?;
            tflite::ConcatenationOptions::create(
                b,
                &tflite::ConcatenationOptionsArgs {
                    axis: o.axis(),
                    fused_activation_function: o.fused_activation_function(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::ReshapeOptions => {
            let o = op
                .builtin_options_as_reshape_options()
                .ok_or_else(missing)?;
            let new_shape = o
                .new_shape()
                .map(|v| b.create_vector(&v.iter().collect::<Vec<i32>>()));
            tflite::ReshapeOptions::create(b, &tflite::ReshapeOptionsArgs { new_shape })
                .as_union_value()
        }
        BuiltinOptions::ResizeBilinearOptions => {
            let o = op
                .builtin_options_as_resize_bilinear_options()
                .ok_or_else(missing)?;
            tflite::ResizeBilinearOptions::create(
                b,
                &tflite::ResizeBilinearOptionsArgs {
                    align_corners: o.align_corners(),
                    half_pixel_centers: o.half_pixel_centers(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::ResizeNearestNeighborOptions => {
            let o = op
                .builtin_options_as_resize_nearest_neighbor_options()
                .ok_or_else(missing)?;
            tflite::ResizeNearestNeighborOptions::create(
                b,
                &tflite::ResizeNearestNeighborOptionsArgs {
                    align_corners: o.align_corners(),
                    half_pixel_centers: o.half_pixel_centers(),
                },
            )
            .as_union_value()
        }
        BuiltinOptions::FullyConnectedOptions => {
            let o = op
                .builtin_options_as_fully_connected_options()
                .ok_or_else(missing)?;
            tflite::FullyConnectedOptions::create(
                b,
                &tflite::FullyConnectedOptionsArgs {
                    fused_activation_function: o.fused_activation_function(),
                    weights_format: o.weights_format(),
                    keep_num_dims: o.keep_num_dims(),
                    asymmetric_quantize_inputs: o.asymmetric_quantize_inputs(),
                    ..Default::default()
                },
            )
            .as_union_value()
        }
        BuiltinOptions::SoftmaxOptions => {
            let o = op
                .builtin_options_as_softmax_options()
                .ok_or_else(missing)?;
            tflite::SoftmaxOptions::create(b, &tflite::SoftmaxOptionsArgs { beta: o.beta() })
                .as_union_value()
        }
        BuiltinOptions::LeakyReluOptions => {
            let o = op
                .builtin_options_as_leaky_relu_options()
                .ok_or_else(missing)?;
            tflite::LeakyReluOptions::create(b, &tflite::LeakyReluOptionsArgs { alpha: o.alpha() })
                .as_union_value()
        }
        BuiltinOptions::PadOptions => empty!(PadOptions),
        BuiltinOptions::PadV2Options => empty!(PadV2Options),
        BuiltinOptions::TransposeOptions => empty!(TransposeOptions),
        BuiltinOptions::HardSwishOptions => empty!(HardSwishOptions),
        BuiltinOptions::MaximumMinimumOptions => empty!(MaximumMinimumOptions),
        BuiltinOptions::DequantizeOptions => empty!(DequantizeOptions),
        BuiltinOptions::DensifyOptions => empty!(DensifyOptions),
        other => {
            return Err(bad(format!(
                "operator options {other:?} are not supported by the normaliser"
            )))
        }
    };
    Ok((kind, Some(offset)))
}
