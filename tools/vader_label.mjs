// Silver sentiment labels for tools/train_mlm_sentiment.py: reads one JSON string per
// line on stdin and writes VADER's compound score (-1..1) for it, one per line.
// VADER (Hutto and Gilbert, 2014) as ported to JavaScript by the npm package
// vader-sentiment 1.1.3 (Apache-2.0; lexicon MIT): a hand-rated lexicon plus rules for
// negation, intensifiers, "but", capitals and exclamation marks.
// usage: node tools/vader_label.mjs < sentences.jsonl > compound.txt
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const vader = require("vader-sentiment");

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
for await (const line of rl) {
  if (line === "") continue;
  const s = vader.SentimentIntensityAnalyzer.polarity_scores(JSON.parse(line));
  out.push(s.compound.toFixed(4));
  if (out.length >= 4096) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
}
if (out.length) process.stdout.write(out.join("\n") + "\n");
