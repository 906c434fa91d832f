// Writes the face-api parity fixtures in src/faces/testdata/faceapi/: runs the real
// @vladmandic/face-api JavaScript code (tfjs, cpu backend) on fixed PNG inputs and records what
// its three networks (SSD MobileNetV1 detector, 68-point landmark net, face recognition net)
// return, so the Rust (candle) ports can be checked against it. See README.md for the layout.
//
//   cd tools/faceapi-reference && npm ci && node make-fixtures.mjs
//
// Inputs are always passed to face-api as tf tensors (never canvases/images), which is the code
// path the Rust side replicates: NetInput.toBatchTensor -> padToSquare -> resizeBilinear.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
// face-api.esm.js (tfjs bundled) cannot run under Node: its bundle stubs out node's `util`, and
// tfjs' Node platform then fails with "this.util.TextEncoder is not a constructor" at import.
// face-api.node-wasm.js is the package's own Node build that uses the pure-JS @tensorflow/tfjs
// (+ the wasm backend); it has no native bindings. Same face-api source, same tfjs 4.22.0.
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const { tf } = faceapi;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const MODEL_DIR = path.join(REPO, 'models', 'face-api', 'model');
const SAMPLE_DIR = path.join(REPO, 'models', 'face-api', 'demo');
const OUT_DIR = path.join(REPO, 'src', 'faces', 'testdata', 'faceapi');

const BACKEND = 'cpu';
const SSD_LONG_SIDE = 384;
const SSD_SOURCES = ['sample1.jpg', 'sample6.jpg'];
const SSD_OPTIONS = { minConfidence: 0.3, maxResults: 100 };
const FACES_PER_IMAGE = 2; // 2 images x 2 faces = the 4 landmark/descriptor faces
// Dtype of the image tensors handed to face-api. int32 is what tf.browser.fromPixels and
// tf.node.decodeImage produce; every face-api path casts to float32 before any arithmetic.
const INPUT_DTYPE = 'int32';

// ---------------------------------------------------------------------------------------------
// Image helpers

function readJpegRgb(file) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  return { width: img.width, height: img.height, data: img.data }; // packed RGB, 3 bytes/pixel
}

// Area-average (box filter) downscale of packed RGB, done separably: each output pixel is the
// mean of the source area it covers, partial source pixels weighted by their overlap. Only used
// to make the PNG inputs small; the PNG, not this function, is the source of truth.
function boxDownscale(src, dstW, dstH) {
  const weights = (srcLen, dstLen) => {
    const scale = srcLen / dstLen;
    return Array.from({ length: dstLen }, (_, d) => {
      const lo = d * scale;
      const hi = (d + 1) * scale;
      const taps = [];
      for (let s = Math.floor(lo); s < Math.min(srcLen, Math.ceil(hi)); s++) {
        const w = Math.min(hi, s + 1) - Math.max(lo, s);
        if (w > 0) taps.push([s, w / scale]);
      }
      return taps;
    });
  };
  const wx = weights(src.width, dstW);
  const wy = weights(src.height, dstH);
  const tmp = new Float64Array(src.height * dstW * 3); // horizontal pass
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < dstW; x++) {
      for (const [s, w] of wx[x]) {
        for (let c = 0; c < 3; c++) tmp[(y * dstW + x) * 3 + c] += w * src.data[(y * src.width + s) * 3 + c];
      }
    }
  }
  const out = new Uint8Array(dstW * dstH * 3); // vertical pass
  for (let y = 0; y < dstH; y++) {
    for (let x = 0; x < dstW; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (const [s, w] of wy[y]) v += w * tmp[(s * dstW + x) * 3 + c];
        out[(y * dstW + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return { width: dstW, height: dstH, data: out };
}

// 8-bit RGB PNG (colour type 2, no alpha) from packed RGB values 0..255.
function writePngRgb(file, { width, height, data }) {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4 + 0] = data[i * 3 + 0];
    png.data[i * 4 + 1] = data[i * 3 + 1];
    png.data[i * 4 + 2] = data[i * 3 + 2];
    png.data[i * 4 + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 6, bitDepth: 8 }));
}

function readPngRgb(file) {
  const png = PNG.sync.read(fs.readFileSync(file)); // always decoded to RGBA8
  const data = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = png.data[i * 4 + c];
  }
  return { width: png.width, height: png.height, data };
}

const rgbToTensor = ({ width, height, data }) => tf.tensor3d(Int32Array.from(data), [height, width, 3], INPUT_DTYPE);

// Writes a [h, w, 3] tensor of integer pixel values as PNG, then reads it back and checks the
// round trip is lossless, so the PNG is exactly the tensor face-api was given.
function saveTensorPng(file, t) {
  const [height, width] = t.shape;
  const values = t.dataSync();
  if (!values.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) throw new Error(`${file}: non-8-bit values`);
  writePngRgb(file, { width, height, data: Uint8Array.from(values) });
  const back = readPngRgb(file);
  if (back.width !== width || back.height !== height || !back.data.every((v, i) => v === values[i])) {
    throw new Error(`${file}: PNG round trip mismatch`);
  }
}

function writeF32(file, values) {
  if (os.endianness() !== 'LE') throw new Error('expected a little-endian host');
  const f32 = Float32Array.from(values);
  fs.writeFileSync(file, Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength));
}

// ---------------------------------------------------------------------------------------------
// face-api helpers

const plainBox = (b) => ({ x: b.x, y: b.y, width: b.width, height: b.height });

// The integer box extractFaceTensors slices for a FaceDetection or Rect (same code it runs).
function sliceBox(det, imgW, imgH) {
  const box = det instanceof faceapi.FaceDetection ? det.forSize(imgW, imgH).box : det;
  return plainBox(box.clipAtImageBorders(imgW, imgH));
}

async function cropFace(img, det) {
  const [crop] = await faceapi.extractFaceTensors(img, [det]);
  return crop;
}

// Raw landmark net output (fc layer, before postProcess) and detectLandmarks' FaceLandmarks68.
async function landmarksFor(crop) {
  const netInput = await faceapi.toNetInput(crop);
  const rawT = faceapi.nets.faceLandmark68Net.runNet(netInput);
  const raw = Array.from(rawT.dataSync());
  rawT.dispose();
  const lm = await faceapi.nets.faceLandmark68Net.detectLandmarks(crop);
  return { raw, lm };
}

async function descriptorFor(crop) {
  return Array.from(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop));
}

const pts = (points) => points.map((p) => [p.x, p.y]);
const dist = (a, b) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// JSON with full precision (JSON.stringify prints the shortest string that round-trips the
// double, and every float32 value is exactly a double) but numeric arrays kept on one line.
function toJson(obj) {
  return `${JSON.stringify(obj, null, 2).replace(/\[\s+([-0-9.eE+,\s]+?)\s+\]/g, (_, body) => `[${body.split(/,\s+/).join(', ')}]`)}\n`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await tf.setBackend(BACKEND);
  await tf.ready();
  if (tf.getBackend() !== BACKEND) throw new Error(`backend is ${tf.getBackend()}, wanted ${BACKEND}`);

  // face-api's Node env reads files through require('fs'), which its bundle cannot reach from
  // here; give it a readFile that returns a Buffer whose .buffer holds exactly the file bytes
  // (loadFromDisk hands `buf.buffer` to tfjs' weight loader).
  faceapi.env.monkeyPatch({
    readFile: async (p) => {
      const b = await fs.promises.readFile(p);
      return Buffer.from(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    },
  });
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const pkgVersion = (name) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`))).version;
  const reference = {
    generator: 'tools/faceapi-reference/make-fixtures.mjs',
    face_api_version: faceapi.version,
    face_api_build: 'dist/face-api.node-wasm.js',
    tfjs_version: tf.version_core,
    backend: tf.getBackend(),
    node_version: process.version,
    jpeg_js_version: pkgVersion('jpeg-js'),
    pngjs_version: pkgVersion('pngjs'),
    input_dtype: INPUT_DTYPE,
    ssd: [],
    faces: [],
    descriptor_extra: [],
  };

  const images = {}; // png name -> { tensor, width, height, detections }
  for (const source of SSD_SOURCES) {
    const name = `ssd_${path.basename(source, '.jpg')}.png`;
    const full = readJpegRgb(path.join(SAMPLE_DIR, source));
    const s = SSD_LONG_SIDE / Math.max(full.width, full.height);
    writePngRgb(path.join(OUT_DIR, name), boxDownscale(full, Math.round(full.width * s), Math.round(full.height * s)));
    // Everything below runs on the pixels read back from the PNG, the shared source of truth.
    const rgb = readPngRgb(path.join(OUT_DIR, name));
    const img = rgbToTensor(rgb);

    // Raw outputLayer tensors: boxes [5118, 4] as [ymin, xmin, ymax, xmax] in the padded
    // 512x512 frame's normalized coords, scores [5118] = sigmoid(class-1 logit).
    const netInput = await faceapi.toNetInput(img);
    const out = faceapi.nets.ssdMobilenetv1.forwardInput(netInput);
    const boxes = out.boxes[0].dataSync();
    const scores = out.scores[0].dataSync();
    const stem = path.basename(name, '.png');
    writeF32(path.join(OUT_DIR, `${stem}.boxes.f32`), boxes);
    writeF32(path.join(OUT_DIR, `${stem}.scores.f32`), scores);

    const dets = await faceapi.nets.ssdMobilenetv1.locateFaces(img, SSD_OPTIONS);
    // Which anchor each detection came from (exact score + box match), to ease debugging NMS.
    const anchorOf = (det) => {
      for (let i = 0; i < scores.length; i++) {
        if (scores[i] === det.score) return i;
      }
      return -1;
    };
    reference.ssd.push({
      image: name,
      source,
      width: rgb.width,
      height: rgb.height,
      backend: tf.getBackend(),
      boxes_file: `${stem}.boxes.f32`,
      boxes_shape: out.boxes[0].shape,
      scores_file: `${stem}.scores.f32`,
      scores_shape: out.scores[0].shape,
      min_confidence: SSD_OPTIONS.minConfidence,
      max_results: SSD_OPTIONS.maxResults,
      iou_threshold: 0.5,
      detections: dets.map((d) => ({ ...plainBox(d.box), score: d.score, anchor_index: anchorOf(d) })),
    });
    out.boxes.forEach((t) => t.dispose());
    out.scores.forEach((t) => t.dispose());
    images[name] = { img, width: rgb.width, height: rgb.height, dets };
    console.log(`${name}: ${rgb.width}x${rgb.height}, ${dets.length} detections`, dets.map((d) => d.score.toFixed(3)).join(' '));
  }

  // Landmarks + descriptors for the top FACES_PER_IMAGE detections of each image. Within one
  // image these are different people by construction.
  let k = 0;
  for (const [name, { img, width, height, dets }] of Object.entries(images)) {
    const order = dets.map((d, i) => i).sort((a, b) => dets[b].score - dets[a].score).slice(0, FACES_PER_IMAGE);
    for (const detIdx of order) {
      const det = dets[detIdx];

      // Landmarks: crop exactly as DetectAllFaceLandmarksTask does (extractFaceTensors on the
      // FaceDetection), then run the net on that crop.
      const lmCrop = await cropFace(img, det);
      saveTensorPng(path.join(OUT_DIR, `lm_${k}.png`), lmCrop);
      const { raw, lm } = await landmarksFor(lmCrop);

      // Descriptor alignment, as ComputeAllFaceDescriptorsTask does it: landmarks shifted by the
      // (unrounded) detection box origin (extendWithFaceLandmarks), then
      // align(null, { useDlibAlignment: true }), then extractFaceTensors on that Rect.
      const shifted = lm.shiftBy(det.box.x, det.box.y);
      const dlibRect = shifted.align(null, { useDlibAlignment: true });
      // For reference only: the default align() (minBbox + 20% pad) = `alignedRect` geometry.
      const minBboxRect = shifted.align();
      const descCrop = await cropFace(img, dlibRect);
      saveTensorPng(path.join(OUT_DIR, `desc_${k}.png`), descCrop);
      const descriptor = await descriptorFor(descCrop);

      reference.faces.push({
        k,
        image: name,
        detection_index: detIdx,
        detection: { ...plainBox(det.box), score: det.score },
        landmark_crop: { file: `lm_${k}.png`, box: sliceBox(det, width, height) },
        landmarks_raw: raw,
        landmarks_crop: pts(lm.positions),
        landmarks_image: pts(shifted.positions),
        aligned_box_dlib: plainBox(dlibRect),
        aligned_box_minbbox: plainBox(minBboxRect),
        descriptor_crop: { file: `desc_${k}.png`, box: sliceBox(dlibRect, width, height) },
        descriptor,
      });
      lmCrop.dispose();
      descCrop.dispose();
      k++;
    }
  }

  // Extra descriptor inputs: non-square, non-150 crops so the Rust side must reproduce
  // padToSquare(isCenterImage = true) + resizeBilinear. Odd |w - h| on purpose: the centred
  // padding is then asymmetric (the extra pixel goes after the image, see padToSquare.ts).
  const extras = [
    { face: 0, shape: 'wide', grow: (b) => ({ x: b.x, y: b.y + 8, width: b.width, height: b.height - 17 }) },
    { face: 1, shape: 'tall', grow: (b) => ({ x: b.x + 9, y: b.y, width: b.width - 19, height: b.height }) },
  ];
  for (const [j, { face, shape, grow }] of extras.entries()) {
    const f = reference.faces[face];
    const { img, width, height } = images[f.image];
    const rect = new faceapi.Rect(...Object.values(grow(f.descriptor_crop.box)));
    const crop = await cropFace(img, rect);
    const [h, w] = crop.shape;
    if (h === w || h === 150 || w === 150) throw new Error(`extra ${j}: crop ${w}x${h} does not exercise padToSquare+resize`);
    saveTensorPng(path.join(OUT_DIR, `desc_extra_${j}.png`), crop);
    const descriptor = await descriptorFor(crop);
    reference.descriptor_extra.push({
      file: `desc_extra_${j}.png`,
      image: f.image,
      of_face: face,
      shape,
      box: sliceBox(rect, width, height),
      width: w,
      height: h,
      descriptor,
      distance_to_face_descriptor: dist(descriptor, f.descriptor),
    });
    crop.dispose();
  }

  // Self-check: the public chained API must give bit-identical results to the steps above.
  const chained = {};
  for (const [name, { img }] of Object.entries(images)) {
    chained[name] = await faceapi.detectAllFaces(img, new faceapi.SsdMobilenetv1Options(SSD_OPTIONS)).withFaceLandmarks().withFaceDescriptors();
  }
  for (const f of reference.faces) {
    const r = chained[f.image][f.detection_index];
    const checks = {
      score: r.detection.score === f.detection.score,
      landmarks: maxAbsDiff(pts(r.landmarks.positions).flat(), f.landmarks_image.flat()) === 0,
      descriptor: maxAbsDiff(Array.from(r.descriptor), f.descriptor) === 0,
    };
    if (!Object.values(checks).every(Boolean)) throw new Error(`face ${f.k}: chained API differs: ${JSON.stringify(checks)}`);
  }
  console.log('self-check: detectAllFaces().withFaceLandmarks().withFaceDescriptors() matches');

  // Informational: pairwise descriptor distances (face-api's match threshold is 0.6).
  reference.descriptor_distances = reference.faces.map((a) => reference.faces.map((b) => dist(a.descriptor, b.descriptor)));

  fs.writeFileSync(path.join(OUT_DIR, 'reference.json'), toJson(reference));
  for (const f of fs.readdirSync(OUT_DIR).sort()) {
    console.log(`${String(fs.statSync(path.join(OUT_DIR, f)).size).padStart(8)}  ${f}`);
  }
}

await main();
