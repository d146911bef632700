// Compiled (not run) by test/types.test.js: correct uses must type-check, and the lines
// marked as expected errors must be errors, so index.d.ts stays as strict as the runtime.
import * as faissx from '..';
import { Index, IndexFlatIP, IndexFlatL2, MetricType, ErrorCode, type SearchResult, type BigIntSearchResult } from '..';

const flat: IndexFlatL2 = new IndexFlatL2(4);
flat.add([1, 2, 3, 4]);
flat.add(new Float32Array(4));
const plain: SearchResult = flat.search([1, 2, 3, 4], 1);
const labels: number[] = plain.labels;
const big: BigIntSearchResult = flat.search(new Float32Array(4), 1, { bigint: true });
const bigLabels: BigInt64Array = big.labels;
const n: number = flat.ntotal() + flat.getDimension() + flat.removeIds([1]) + flat.removeIds(new BigInt64Array(1));
const trained: boolean = flat.isTrained() && flat.isRemote();
const metric: MetricType = flat.metricType();
const buf: Buffer = flat.toBuffer();
const back: IndexFlatL2 = IndexFlatL2.fromBuffer(buf);
const read: IndexFlatIP = IndexFlatIP.read('x.faiss');
const any: Index = Index.fromFactory(8, 'IVF4,Flat', MetricType.METRIC_INNER_PRODUCT);
const plainIndex: Index = new Index(4);
any.setParameter('nprobe', 4);
back.mergeFrom(flat);
const parts: IndexFlatL2[] = flat.split(2);
const merged: IndexFlatL2 = Index.merge(parts);
const mixed: Index = Index.merge([any, flat]);
flat.write('x.faiss');
flat.reset();
flat.dispose();
read.free();
const code: number = ErrorCode.TRANSPORT;

async function asyncUse(index: Index): Promise<void> {
  await index.addAsync([1, 2, 3, 4]);
  const r: SearchResult = await index.searchAsync([1, 2, 3, 4], 2);
  const b: BigIntSearchResult = await index.searchAsync([1, 2, 3, 4], 2, { bigint: true });
  void r;
  void b;
}

faissx.configure('tcp://127.0.0.1:45678', 'key', 'tenant');
faissx.configure(null);
faissx.setOption('timeout_ms', 500);
faissx.configureRecovery(0, 0.1, 2);
const v: string = faissx.version();

// @ts-expect-error strings are not vectors
flat.add('1,2,3,4');
// @ts-expect-error Float64Array is not accepted
flat.add(new Float64Array(4));
// @ts-expect-error plain results have number labels
const wrong: BigInt64Array = flat.search([1, 2, 3, 4], 1).labels;
// @ts-expect-error the dimension is a number
new Index('4');
// @ts-expect-error the factory needs a descriptor
Index.fromFactory(4);
// @ts-expect-error merge takes an array of indexes
Index.merge(flat, back);
// @ts-expect-error parts is a number
flat.split('2');

void [plainIndex, labels, bigLabels, n, trained, metric, any, code, v, wrong, asyncUse, merged, mixed];
