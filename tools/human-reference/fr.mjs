import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
const items = JSON.parse(fs.readFileSync('/tmp/fr/crops.json'));
const handler = {
  load: async () => {
    const j = JSON.parse(fs.readFileSync('/tmp/human/package/models/faceres.json'));
    const bin = fs.readFileSync('/tmp/human/package/models/faceres.bin');
    return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy, signature: j.signature };
  },
};
await tf.setBackend('cpu');
const model = await tf.loadGraphModel(handler);
for (const it of items) {
  const png = PNG.sync.read(fs.readFileSync('/tmp/fr/crops/' + it.png));
  const rgb = new Float32Array(224 * 224 * 3);
  for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  const x = tf.tensor4d(rgb, [1, 224, 224, 3]);
  const outs = model.execute(x, ['global_pooling/Mean']);
  it.faceres = Array.from(await outs.data());
  tf.dispose([x, outs]);
}
fs.writeFileSync('/tmp/fr/desc.json', JSON.stringify(items));
console.log('done', items.length);
