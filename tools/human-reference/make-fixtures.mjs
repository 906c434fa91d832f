// Writes the parity fixtures of src/human/testdata/: runs Human's real `antispoof`, `liveness` and `blazeface`
// TF.js graph models (models/human/models/, fetched by `make models`) with tfjs 4.22.0 on its
// pure-JS `cpu` backend, on fixed face crops, and records what they return, so the Rust (candle)
// ports can be checked against them.
//
//   cd tools/human-reference && npm ci && node make-fixtures.mjs
//
// Inputs: squares around the hand-labelled faces of face-api's sample photos
// (src/faces/testdata/sample_faces.toml, 1.4 times the box, as Human crops), plus a plain grey
// square and a noise square, resized to each net's input with tf.image.resizeBilinear and rounded
// to 8 bits. The PNGs are the source of truth: each net is given exactly png / 255.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const MODELS = path.join(REPO, 'models', 'human', 'models');
const SAMPLES = path.join(REPO, 'models', 'face-api', 'demo');
const OUT = path.join(REPO, 'src', 'human', 'testdata');

// Faces from src/faces/testdata/sample_faces.toml: [photo, x, y, w, h].
const FACES = [
  ['sample1.jpg', 1470, 210, 235, 255],
  ['sample2.jpg', 1420, 160, 225, 240],
  ['sample3.jpg', 1060, 210, 240, 295],
];

function readJpeg(file) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

function writePng(file, t) {
  const [height, width] = t.shape;
  const values = t.dataSync();
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = values[i * 3 + c];
    png.data[i * 4 + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 6, bitDepth: 8 }));
}

function readPng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const data = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = png.data[i * 4 + c];
  return tf.tensor4d(data, [1, png.height, png.width, 3]).div(255);
}

// A square of `scale` × the box's longer side around its centre, zeros outside the photo.
function squareCrop(image, [x, y, w, h], scale) {
  const [ih, iw] = image.shape;
  const side = Math.round(Math.max(w, h) * scale);
  const x0 = Math.round(x + w / 2 - side / 2);
  const y0 = Math.round(y + h / 2 - side / 2);
  const padded = tf.pad(image, [[side, side], [side, side], [0, 0]]);
  return padded.slice([y0 + side, x0 + side, 0], [side, side, 3]).clone();
}

async function loadGraph(name) {
  const json = JSON.parse(fs.readFileSync(path.join(MODELS, `${name}.json`)));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bins = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(MODELS, p))));
  const data = Buffer.concat(bins);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

async function main() {
  await tf.setBackend('cpu');
  fs.mkdirSync(OUT, { recursive: true });
  const nets = { antispoof: [await loadGraph('antispoof'), 128], liveness: [await loadGraph('liveness'), 32] };
  const crops = FACES.map(([photo, ...box]) => [photo.replace('.jpg', ''), squareCrop(readJpeg(path.join(SAMPLES, photo)), box, 1.4)]);
  crops.push(['grey', tf.fill([64, 64, 3], 128, 'int32')]);
  crops.push(['noise', tf.randomUniform([64, 64, 3], 0, 256, 'int32', 7)]);
  const reference = { tfjs: tf.version.tfjs, backend: tf.getBackend(), cases: [] };
  for (const [net, [model, size]] of Object.entries(nets)) {
    for (const [name, crop] of crops) {
      const file = `${net}_${name}.png`;
      const resized = tf.image.resizeBilinear(crop.toFloat(), [size, size]).round().clipByValue(0, 255).toInt();
      writePng(path.join(OUT, file), resized);
      const output = Array.from(await model.execute(readPng(path.join(OUT, file))).data());
      reference.cases.push({ net, input: file, output });
      console.log(net, name, output);
    }
  }
  fs.writeFileSync(path.join(OUT, 'reference.json'), JSON.stringify(reference, null, 1) + '\n');
  await blazeface();
}

// BlazeFace: whole sample photos centred on a black square (Human's `square` option) and resized
// to 256 × 256, plus the grey square. Recorded per case: every anchor's logit and the 16
// regressors of the eight highest-scoring anchors, in Human's order (the 512 anchors of the
// 16 × 16 grid, then the 384 of the 8 × 8 one), for input png / 127.5 − 1.
async function blazeface() {
  const model = await loadGraph('blazeface');
  const inputs = ['sample1', 'sample2', 'sample3'].map((name) => {
    const image = readJpeg(path.join(SAMPLES, `${name}.jpg`));
    const [h, w] = image.shape;
    const side = Math.max(h, w);
    const [top, left] = [Math.floor((side - h) / 2), Math.floor((side - w) / 2)];
    return [name, tf.pad(image, [[top, side - h - top], [left, side - w - left], [0, 0]])];
  });
  inputs.push(['grey', tf.fill([64, 64, 3], 128, 'int32')]);
  const cases = [];
  for (const [name, square] of inputs) {
    const file = `blazeface_${name}.png`;
    const resized = tf.image.resizeBilinear(square.toFloat(), [256, 256]).round().clipByValue(0, 255).toInt();
    writePng(path.join(OUT, file), resized);
    const input = readPng(path.join(OUT, file)).mul(255).div(127.5).sub(1);
    const outputs = model.execute(input).sort((a, b) => a.size - b.size);
    const rows = tf.concat([tf.concat([outputs[1], outputs[3]], 2), tf.concat([outputs[0], outputs[2]], 2)], 1).squeeze([0]);
    const values = await rows.array();
    const logits = values.map((row) => row[0]);
    const best = logits.map((l, i) => [l, i]).sort((a, b) => b[0] - a[0]).slice(0, 8).map(([, i]) => ({ anchor: i, row: values[i] }));
    cases.push({ input: file, logits, best });
    console.log('blazeface', name, best[0]);
  }
  const reference = { tfjs: tf.version.tfjs, backend: tf.getBackend(), cases };
  fs.writeFileSync(path.join(OUT, 'blazeface.json'), JSON.stringify(reference) + '\n');
}

main();
