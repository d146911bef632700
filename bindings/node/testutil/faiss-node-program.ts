// A program written against faiss-node 0.5.1's index.d.ts, using each of its declarations.
// faiss_node_suite.sh type-checks it twice: with 'faiss-node' resolved to faiss-node's own
// declarations (so it is a valid faiss-node program) and to ours (so it compiles against faissx).
import { Index, IndexFlatIP, IndexFlatL2, MetricType, SearchResult } from 'faiss-node';

const d = 4;
const base: Index = new Index(d);
const l2: IndexFlatL2 = new IndexFlatL2(d);
const ip: IndexFlatIP = new IndexFlatIP(d);

const vectors: number[] = [1, 0, 0, 0, 0, 1, 0, 0];
l2.add(vectors);
l2.train(vectors);
const result: SearchResult = l2.search([1, 0, 0, 0], 2);
const distances: number[] = result.distances;
const labels: number[] = result.labels;
const counts: number[] = [l2.ntotal(), l2.getDimension(), l2.removeIds([0])];
const trained: boolean = l2.isTrained();

l2.write('/tmp/faiss-node-program.index');
const fromFile: IndexFlatL2 = IndexFlatL2.read('/tmp/faiss-node-program.index');
const anyFromFile: Index = Index.read('/tmp/faiss-node-program.index');
const bytes: Buffer = ip.toBuffer();
const fromBytes: IndexFlatIP = IndexFlatIP.fromBuffer(bytes);
const anyFromBytes: Index = Index.fromBuffer(bytes);
fromFile.mergeFrom(l2);
fromBytes.mergeFrom(ip);
base.mergeFrom(anyFromFile);

const metrics: MetricType[] = [
  MetricType.METRIC_INNER_PRODUCT,
  MetricType.METRIC_L2,
  MetricType.METRIC_L1,
  MetricType.METRIC_Linf,
  MetricType.METRIC_Lp,
  MetricType.METRIC_Canberra,
  MetricType.METRIC_BrayCurtis,
  MetricType.METRIC_JensenShannon,
  MetricType.METRIC_Jaccard,
];
const name: string = MetricType[MetricType.METRIC_L2];
const hnsw: Index = Index.fromFactory(d, 'HNSW32,Flat');
const flatIp: Index = Index.fromFactory(d, 'Flat', MetricType.METRIC_INNER_PRODUCT);

// Classes as values: subclassing and passing constructors around.
class Tagged extends IndexFlatL2 {
  tag = 'tagged';
}
const make: new (dim: number) => Index = IndexFlatIP;
const made: Index[] = [new Tagged(d), new make(d), base];

function nearest(index: Index, query: number[], k: number): number[] {
  return index.search(query, k).labels;
}

void [distances, labels, counts, trained, anyFromBytes, metrics, name, hnsw, flatIp, made, nearest];
