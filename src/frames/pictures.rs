//! A video file's pictures in presentation order, read with libavcodec through `ffmpeg-next`.
//!
//! OpenCV's `VideoCapture` decodes every picture and cannot be told otherwise. Sampling one
//! picture a second needs far fewer: in H.264, the pictures no other picture refers to (most
//! B-frames) can be left undecoded without changing any other picture, which halves the decode
//! of an ad as platforms encode it (README, Speed). The pictures that are decoded come out as
//! OpenCV's capture gives them (BGR, bicubic chroma, turned by the display matrix), so a sampled
//! picture is the same image either way (`tests.rs` holds the two to each other).

use ffmpeg::codec::{self, threading};
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling::{self, Flags};
use ffmpeg::util::frame::video::Video as AvFrame;
use ffmpeg::{Discard, Rational, format, media};
use ffmpeg_next as ffmpeg;
use opencv::core::{CV_8UC3, Mat};
use opencv::prelude::*;

use super::FramesError;

/// Consecutive unreadable packets or pictures after which the file counts as broken.
const MAX_ERRORS_IN_A_ROW: u32 = 64;

/// Which pictures the decoder may leave out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Skipping {
    /// Every picture is decoded.
    None,
    /// H.264 pictures no other picture refers to are not decoded, but for those at the indices
    /// sampling wants (`ceil(k × every)`, and the last picture): the sampled pictures are the
    /// ones every picture's decoding would give. Other codecs decode every picture (in HEVC a
    /// "non-reference" picture may still be referred to by a higher temporal layer).
    UnreferencedExceptEvery(f64),
}

pub struct Pictures {
    input: format::context::Input,
    stream_index: usize,
    decoder: ffmpeg::decoder::Video,
    scaler: Option<(Pixel, u32, u32, scaling::Context)>,
    time_base: f64,
    start: i64,
    rotation: Rotation,
    /// Frames per second the stream declares (25 when it declares none).
    pub fps: f64,
    /// Pictures decoded so far.
    pub decoded: u64,
    /// With [`Skipping::UnreferencedExceptEvery`] on H.264: the sampling step, in pictures.
    keep_every: Option<f64>,
    /// The last picture's index, from the container's count (−1 when it gives none).
    last_index: i64,
    last_time_s: Option<f64>,
    eof_sent: bool,
}

/// One decoded picture and its presentation time.
pub struct Picture {
    pub time_s: f64,
    frame: AvFrame,
}

/// How the display matrix turns the stored picture (OpenCV's `CAP_PROP_ORIENTATION_AUTO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rotation {
    None,
    Clockwise90,
    Half,
    CounterClockwise90,
}

impl Pictures {
    /// Opens `path`'s best video stream; `skipping` says, from its frame rate, which pictures
    /// the decoder may leave out.
    pub fn open(path: &std::path::Path, skipping: impl FnOnce(f64) -> Skipping) -> Result<Self, FramesError> {
        init();
        let input = format::input(path).map_err(|_| FramesError::Open)?;
        let stream = input.streams().best(media::Type::Video).ok_or(FramesError::Open)?;
        let stream_index = stream.index();
        let fps = [stream.avg_frame_rate(), stream.rate()]
            .into_iter()
            .map(rate)
            .find(|r| r.is_finite() && *r > 0.0)
            .unwrap_or(25.0);
        let time_base = rate(stream.time_base());
        let start = if stream.start_time() == ffmpeg::ffi::AV_NOPTS_VALUE { 0 } else { stream.start_time() };
        let rotation = rotation_of(&stream);
        let context = codec::context::Context::from_parameters(stream.parameters()).map_err(|_| FramesError::Open)?;
        let mut decoder = context.decoder();
        // One thread: the analyse stage already runs a worker, and so a decoder, per core
        // (OpenCV's capture added frame threads per core: 3 % slower on the real-size bench).
        decoder.set_threading(threading::Config { kind: threading::Type::Frame, count: 1, ..Default::default() });
        let keep_every = match skipping(fps) {
            Skipping::UnreferencedExceptEvery(every) if decoder.id() == codec::Id::H264 => Some(every),
            _ => None,
        };
        let last_index = stream.frames() - 1;
        let decoder = decoder.video().map_err(|_| FramesError::Open)?;
        Ok(Self {
            input,
            stream_index,
            decoder,
            scaler: None,
            time_base: if time_base.is_finite() && time_base > 0.0 { time_base } else { 1.0 / fps },
            start,
            rotation,
            fps,
            decoded: 0,
            keep_every,
            last_index,
            last_time_s: None,
            eof_sent: false,
        })
    }

    /// The size of the pictures handed out (after turning).
    pub fn size(&self) -> (i32, i32) {
        let (w, h) = (self.decoder.width() as i32, self.decoder.height() as i32);
        match self.rotation {
            Rotation::Clockwise90 | Rotation::CounterClockwise90 => (h, w),
            Rotation::None | Rotation::Half => (w, h),
        }
    }

    /// The next decoded picture, `None` at the end of the stream.
    pub fn next(&mut self) -> Result<Option<Picture>, FramesError> {
        let mut frame = AvFrame::empty();
        let mut errors = 0u32;
        loop {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
                    self.decoded += 1;
                    let time_s = self.time_of(&frame);
                    self.last_time_s = Some(time_s);
                    return Ok(Some(Picture { time_s, frame }));
                }
                Err(ffmpeg::Error::Eof) => return Ok(None),
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::error::EAGAIN => {}
                Err(_) => errors = count_error(errors)?,
            }
            if self.eof_sent {
                return Ok(None);
            }
            self.send_next_packet(&mut errors)?;
        }
    }

    /// Feeds the decoder the stream's next packet, or the end of the stream.
    fn send_next_packet(&mut self, errors: &mut u32) -> Result<(), FramesError> {
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    if let Some(every) = self.keep_every {
                        // Read per picture by H.264's decoder when it starts one (one thread).
                        let wanted = packet.pts().is_none_or(|pts| self.is_wanted(self.index_of(pts), every));
                        self.decoder.skip_frame(if wanted { Discard::Default } else { Discard::NonReference });
                    }
                    // A damaged packet is passed over, as OpenCV's capture does.
                    if self.decoder.send_packet(&packet).is_err() {
                        *errors = count_error(*errors)?;
                    }
                    return Ok(());
                }
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => {
                    self.eof_sent = true;
                    return self.decoder.send_eof().map_err(|e| FramesError::Decode(e.to_string()));
                }
                Err(_) => *errors = count_error(*errors)?,
            }
        }
    }

    fn index_of(&self, ts: i64) -> i64 {
        (ts.saturating_sub(self.start) as f64 * self.time_base * self.fps).round() as i64
    }

    /// Whether sampling every `every` pictures hands out picture `index`: the first at or after
    /// each multiple of `every` (some k × every in (index − 1, index]), and the last picture.
    fn is_wanted(&self, index: i64, every: f64) -> bool {
        index <= 0 || index == self.last_index || (index as f64 / every).floor() > ((index - 1) as f64 / every).floor()
    }

    /// Seconds from the stream's start; a picture without a timestamp follows the one before.
    fn time_of(&self, frame: &AvFrame) -> f64 {
        match frame.timestamp().or(frame.pts()) {
            Some(ts) => (ts.saturating_sub(self.start)) as f64 * self.time_base,
            None => self.last_time_s.map_or(0.0, |t| t + 1.0 / self.fps),
        }
    }

    /// The picture as OpenCV's capture gives it: 8-bit BGR, turned upright.
    pub fn bgr(&mut self, picture: &Picture) -> Result<Mat, FramesError> {
        let frame = &picture.frame;
        let (format, w, h) = (frame.format(), frame.width(), frame.height());
        if self.scaler.as_ref().is_none_or(|(f, sw, sh, _)| (*f, *sw, *sh) != (format, w, h)) {
            // OpenCV 4.6 converts with SWS_BICUBIC (it matters for the chroma's upsampling).
            let scaler = scaling::Context::get(format, w, h, Pixel::BGR24, w, h, Flags::BICUBIC)
                .map_err(|e| FramesError::Decode(e.to_string()))?;
            self.scaler = Some((format, w, h, scaler));
        }
        let (.., scaler) = self.scaler.as_mut().expect("set above");
        let mut bgr = AvFrame::empty();
        scaler.run(frame, &mut bgr).map_err(|e| FramesError::Decode(e.to_string()))?;
        let mut image = Mat::new_rows_cols_with_default(h as i32, w as i32, CV_8UC3, opencv::core::Scalar::all(0.0))?;
        let (stride, row) = (bgr.stride(0), 3 * w as usize);
        let source = bgr.data(0);
        let target = image.data_bytes_mut()?;
        for y in 0..h as usize {
            target[y * row..(y + 1) * row].copy_from_slice(&source[y * stride..y * stride + row]);
        }
        turn(image, self.rotation)
    }
}

fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // What OpenCV's capture shows: errors only (a damaged file would fill the log otherwise).
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Error);
    });
}

fn count_error(errors: u32) -> Result<u32, FramesError> {
    if errors + 1 >= MAX_ERRORS_IN_A_ROW {
        return Err(FramesError::Decode(format!("{MAX_ERRORS_IN_A_ROW} unreadable packets in a row")));
    }
    Ok(errors + 1)
}

fn rate(r: Rational) -> f64 {
    if r.denominator() == 0 { 0.0 } else { r.numerator() as f64 / r.denominator() as f64 }
}

/// OpenCV 4.6's reading of the display matrix: `round(av_display_rotation_get)`, in 0..360
/// (the test against OpenCV's frames holds the direction).
fn rotation_of(stream: &format::stream::Stream) -> Rotation {
    let Some(matrix) = stream.side_data().find(|s| s.kind() == codec::packet::side_data::Type::DisplayMatrix) else {
        return Rotation::None;
    };
    let data = matrix.data();
    if data.len() < 9 * 4 {
        return Rotation::None;
    }
    // SAFETY: the side data is a display matrix of nine 32-bit values, as checked above; the
    // function only reads them.
    let degrees = unsafe { ffmpeg::ffi::av_display_rotation_get(data.as_ptr() as *const i32) };
    if !degrees.is_finite() {
        return Rotation::None;
    }
    match (degrees.round() as i64).rem_euclid(360) {
        90 => Rotation::Clockwise90,
        180 => Rotation::Half,
        270 => Rotation::CounterClockwise90,
        _ => Rotation::None,
    }
}

fn turn(image: Mat, rotation: Rotation) -> Result<Mat, FramesError> {
    let code = match rotation {
        Rotation::None => return Ok(image),
        Rotation::Clockwise90 => opencv::core::ROTATE_90_CLOCKWISE,
        Rotation::Half => opencv::core::ROTATE_180,
        Rotation::CounterClockwise90 => opencv::core::ROTATE_90_COUNTERCLOCKWISE,
    };
    let mut turned = Mat::default();
    opencv::core::rotate(&image, &mut turned, code)?;
    Ok(turned)
}
