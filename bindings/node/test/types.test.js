'use strict';
// index.d.ts against the runtime: it type-checks real uses, and names what index.js exports.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const ts = require('typescript');
const faissx = require('..');

const ROOT = path.resolve(__dirname, '..');

test('index.d.ts accepts correct uses and rejects wrong ones', () => {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'testutil', 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  const program = ts.createProgram(config.fileNames, config.options);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  assert.deepEqual(diagnostics, []);
});

test('index.d.ts declares exactly what index.js exports, with the same members', () => {
  const file = path.join(ROOT, 'index.d.ts');
  const program = ts.createProgram([file], { strict: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  const exported = checker.getExportsOfModule(moduleSymbol);
  const values = exported.filter((s) => s.flags & ts.SymbolFlags.Value).map((s) => s.name);
  assert.deepEqual(values.sort(), Object.keys(faissx).sort(), 'runtime exports');

  for (const cls of ['Index', 'IndexFlatL2', 'IndexFlatIP']) {
    const symbol = exported.find((s) => s.name === cls);
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    const declared = checker.getPropertiesOfType(instance).map((p) => p.name).sort();
    const runtime = [];
    for (let proto = faissx[cls].prototype; proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor' && !runtime.includes(name)) runtime.push(name);
    }
    assert.deepEqual(declared, runtime.sort(), `${cls} instance members`);
    const staticType = checker.getTypeOfSymbolAtLocation(symbol, symbol.valueDeclaration);
    const declaredStatics = checker.getPropertiesOfType(staticType).map((p) => p.name).filter((n) => n !== 'prototype').sort();
    const runtimeStatics = ['fromFactory', 'read', 'fromBuffer', 'merge'].filter((n) => typeof faissx[cls][n] === 'function');
    assert.deepEqual(declaredStatics, runtimeStatics.sort(), `${cls} static members`);
  }

  const declaredMetrics = checker.getExportsOfModule(exported.find((s) => s.name === 'MetricType')).map((s) => s.name);
  for (const name of declaredMetrics) {
    const value = checker.getConstantValue(exported.find((s) => s.name === 'MetricType').exports.get(name).valueDeclaration);
    assert.equal(faissx.MetricType[name], value, `MetricType.${name}`);
  }
  assert.equal(declaredMetrics.length, Object.keys(faissx.MetricType).length / 2);

  const errorCode = exported.find((s) => s.name === 'ErrorCode');
  const codes = checker.getTypeOfSymbolAtLocation(errorCode, errorCode.valueDeclaration);
  const declaredCodes = Object.fromEntries(
    checker.getPropertiesOfType(codes).map((p) => [p.name, checker.getTypeOfSymbol(p).value]),
  );
  assert.deepEqual(declaredCodes, { ...faissx.ErrorCode });
});
