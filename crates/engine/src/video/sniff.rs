//! Recognises the container from its first bytes, before any ffmpeg demuxer sees the file.
//!
//! ffprobe's own format detection would happily open HLS playlists, concat scripts and image
//! sequences, some of which make it read other files or URLs. Airtime only needs two demuxers,
//! so it picks one from the magic bytes and forces it with `-f`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::error::VideoError;

/// The demuxer ffmpeg/ffprobe are told to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Demuxer {
    /// ISO BMFF: MP4, MOV, 3GP, M4V.
    Mov,
    /// Matroska and WebM.
    Matroska,
}

impl Demuxer {
    pub(crate) fn ffmpeg_name(self) -> &'static str {
        match self {
            Demuxer::Mov => "mov",
            Demuxer::Matroska => "matroska",
        }
    }

    /// From ffprobe's `format_name` ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm").
    pub(crate) fn from_format_name(name: &str) -> Option<Demuxer> {
        let parts: Vec<&str> = name.split(',').collect();
        if parts.iter().any(|p| *p == "mov" || *p == "mp4") {
            Some(Demuxer::Mov)
        } else if parts.iter().any(|p| *p == "matroska" || *p == "webm") {
            Some(Demuxer::Matroska)
        } else {
            None
        }
    }
}

/// Reads the head of the file and maps it to a demuxer or a typed rejection.
pub(crate) fn sniff(path: &Path) -> Result<Demuxer, VideoError> {
    let mut file =
        File::open(path).map_err(|e| VideoError::Io(format!("{}: {e}", path.display())))?;
    let mut head = [0u8; 512];
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(VideoError::Io(format!("{}: {e}", path.display()))),
        }
    }
    classify(&head[..len])
}

pub(crate) fn classify(head: &[u8]) -> Result<Demuxer, VideoError> {
    if head.is_empty() {
        return Err(VideoError::NotAVideo("the file is empty".into()));
    }
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    // ISO BMFF starts with a box: 4-byte size then a type; QuickTime files may open with
    // free/wide/mdat before moov.
    const BOXES: [&[u8]; 8] = [
        b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid",
    ];
    if BOXES.iter().any(|b| at(4, b)) {
        return Ok(Demuxer::Mov);
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Ok(Demuxer::Matroska);
    }
    let unsupported = |format: &str| {
        Err(VideoError::UnsupportedFormat {
            format: format.to_string(),
        })
    };
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return unsupported("AVI");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") || at(0, b"ID3") || at(0, b"fLaC") {
        return Err(VideoError::NoVideoStream);
    }
    // MPEG audio frame sync (MP3 without an ID3 tag).
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 != 0 {
        return Err(VideoError::NoVideoStream);
    }
    if head[0] == 0x47 && head.get(188) == Some(&0x47) {
        return unsupported("MPEG-TS");
    }
    if at(0, &[0, 0, 1, 0xBA]) {
        return unsupported("MPEG");
    }
    if at(0, b"FLV") {
        return unsupported("FLV");
    }
    if at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return unsupported("WMV");
    }
    if at(0, b"OggS") {
        return unsupported("Ogg");
    }
    if at(0, b"GIF8") {
        return unsupported("GIF");
    }
    Err(VideoError::NotAVideo(
        "unrecognised file signature (not MP4/MOV/WebM/MKV)".into(),
    ))
}
