//! Drops the layers of a `.tflite` model that only feed outputs we never read.
//!
//! The landmark network also decodes a 256×256 segmentation mask and world landmarks: 51 of
//! its 305 operators and more than half its time (XNNPACK, one thread: 5.8 → 2.5 ms, the
//! outputs we keep bit-identical). TFLite runs every operator listed, wanted or not, so the
//! list itself must shrink. It can, in place: in the flatbuffer the subgraph's operators are a
//! vector of offsets, each relative to its own slot, so keeping a subsequence means moving
//! slots forward (adjusting each offset by the distance moved) and lowering the length; the
//! output list shrinks the same way. Nothing else moves, so a few dozen lines of flatbuffer
//! reading do it, with every read bounds-checked.

use super::asset;
use super::error::PoseError;

// Field numbers in TFLite's schema (schema.fbs).
const MODEL_SUBGRAPHS: usize = 2;
const MODEL_SIGNATURE_DEFS: usize = 7;
const SUBGRAPH_TENSORS: usize = 0;
const SUBGRAPH_OUTPUTS: usize = 2;
const SUBGRAPH_OPERATORS: usize = 3;
const TENSOR_SHAPE: usize = 0;
const OPERATOR_INPUTS: usize = 1;
const OPERATOR_OUTPUTS: usize = 2;

fn bad(msg: &str) -> PoseError {
    PoseError::ModelInvalid(format!("model graph: {msg}"))
}

struct Flatbuffer<'a>(&'a [u8]);

impl Flatbuffer<'_> {
    fn u32_at(&self, at: usize) -> Result<u32, PoseError> {
        asset::u32_at(self.0, at).ok_or_else(|| bad("offset out of range"))
    }

    fn u16_at(&self, at: usize) -> Result<u16, PoseError> {
        asset::u16_at(self.0, at).ok_or_else(|| bad("offset out of range"))
    }

    /// Follows the unsigned offset stored at `at`.
    fn deref(&self, at: usize) -> Result<usize, PoseError> {
        let target = at + self.u32_at(at)? as usize;
        if target >= self.0.len() {
            return Err(bad("offset out of range"));
        }
        Ok(target)
    }

    /// Where field `id` of the table at `table` is stored, if present.
    fn field(&self, table: usize, id: usize) -> Result<Option<usize>, PoseError> {
        let vtable = (table as i64 - i64::from(self.u32_at(table)? as i32)) as usize;
        let vtable_len = usize::from(self.u16_at(vtable)?);
        let slot = 4 + 2 * id;
        if slot + 2 > vtable_len {
            return Ok(None);
        }
        let offset = usize::from(self.u16_at(vtable + slot)?);
        Ok((offset != 0).then_some(table + offset))
    }

    /// The vector that field `id` of `table` points to: its position and length.
    fn vector(&self, table: usize, id: usize) -> Result<Option<(usize, usize)>, PoseError> {
        let Some(at) = self.field(table, id)? else {
            return Ok(None);
        };
        let v = self.deref(at)?;
        let len = self.u32_at(v)? as usize;
        if v + 4 + 4 * len > self.0.len() {
            return Err(bad("vector out of range"));
        }
        Ok(Some((v, len)))
    }

    fn i32s(&self, table: usize, id: usize) -> Result<Vec<i32>, PoseError> {
        match self.vector(table, id)? {
            Some(vector) => self.i32s_of(vector),
            None => Ok(Vec::new()),
        }
    }

    /// The elements of the `i32` vector at `v` with `len` elements.
    fn i32s_of(&self, (v, len): (usize, usize)) -> Result<Vec<i32>, PoseError> {
        (0..len)
            .map(|i| self.u32_at(v + 4 + 4 * i).map(|x| x as i32))
            .collect()
    }

    /// The table the `i`-th offset of the vector at `v` points to.
    fn element(&self, v: usize, i: usize) -> Result<usize, PoseError> {
        self.deref(v + 4 + 4 * i)
    }
}

/// Rewrites the single-subgraph model in `bytes` so it computes only the outputs with the
/// given element counts (in that order). Returns how many operators remain.
pub(crate) fn keep_outputs(bytes: &mut [u8], element_counts: &[usize]) -> Result<usize, PoseError> {
    let fb = Flatbuffer(bytes);
    let root = fb.deref(0)?;
    if fb.field(root, MODEL_SIGNATURE_DEFS)?.is_some() {
        // Signatures name outputs too; these models have none, and rewriting them is not done.
        return Err(bad("signature definitions are not supported"));
    }
    let (subgraphs, n) = fb
        .vector(root, MODEL_SUBGRAPHS)?
        .ok_or_else(|| bad("no subgraph"))?;
    if n != 1 {
        return Err(bad("expected one subgraph"));
    }
    let graph = fb.element(subgraphs, 0)?;
    let (tensors, n_tensors) = fb
        .vector(graph, SUBGRAPH_TENSORS)?
        .ok_or_else(|| bad("no tensors"))?;
    let elements_of = |t: i32| -> Result<usize, PoseError> {
        if t < 0 || t as usize >= n_tensors {
            return Err(bad("tensor index out of range"));
        }
        let tensor = fb.element(tensors, t as usize)?;
        Ok(fb
            .i32s(tensor, TENSOR_SHAPE)?
            .iter()
            .map(|&d| d.max(0) as usize)
            .product())
    };

    let outputs_vector = fb
        .vector(graph, SUBGRAPH_OUTPUTS)?
        .ok_or_else(|| bad("no outputs"))?;
    let outputs = fb.i32s_of(outputs_vector)?;
    let mut wanted = Vec::with_capacity(element_counts.len());
    for &count in element_counts {
        let mut found = None;
        for &o in &outputs {
            if elements_of(o)? == count {
                found = Some(o);
                break;
            }
        }
        wanted.push(found.ok_or_else(|| bad(&format!("no output with {count} values")))?);
    }

    let (operators, n_ops) = fb
        .vector(graph, SUBGRAPH_OPERATORS)?
        .ok_or_else(|| bad("no operators"))?;
    let mut producer = std::collections::HashMap::new();
    let mut inputs = Vec::with_capacity(n_ops);
    for i in 0..n_ops {
        let op = fb.element(operators, i)?;
        for t in fb.i32s(op, OPERATOR_OUTPUTS)? {
            producer.insert(t, i);
        }
        inputs.push(fb.i32s(op, OPERATOR_INPUTS)?);
    }
    let mut needed = vec![false; n_ops];
    let mut pending = wanted.clone();
    while let Some(t) = pending.pop() {
        if let Some(&i) = producer.get(&t) {
            if !needed[i] {
                needed[i] = true;
                pending.extend(inputs[i].iter().copied().filter(|&x| x >= 0));
            }
        }
    }

    let outputs_at = outputs_vector.0;
    let kept: Vec<usize> = (0..n_ops).filter(|&i| needed[i]).collect();
    let slots: Vec<u32> = kept
        .iter()
        .map(|&i| fb.u32_at(operators + 4 + 4 * i))
        .collect::<Result<_, _>>()?;
    // Offsets are relative to their slot: moving a slot `d` bytes forward adds `d`.
    for (j, (&i, &offset)) in kept.iter().zip(&slots).enumerate() {
        let moved = offset + 4 * (i - j) as u32;
        bytes[operators + 4 + 4 * j..][..4].copy_from_slice(&moved.to_le_bytes());
    }
    bytes[operators..][..4].copy_from_slice(&(kept.len() as u32).to_le_bytes());
    for (j, &o) in wanted.iter().enumerate() {
        bytes[outputs_at + 4 + 4 * j..][..4].copy_from_slice(&o.to_le_bytes());
    }
    bytes[outputs_at..][..4].copy_from_slice(&(wanted.len() as u32).to_le_bytes());
    Ok(kept.len())
}
