import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderCrdFiles } from '../../scripts/crd-files.js';
import { structuralViolations } from './stand-in/openapi-schema.js';
import { loadCrds } from './stand-in/cluster.js';
import { typeFromCrd } from './stand-in/resource-types.js';

/** The CRD files users apply: current, identical in the chart, and acceptable to an API server. */

describe('the CustomResourceDefinitions', () => {
  it('are what the generator writes, in crds/ and in the chart', () => {
    for (const { fileName, text } of renderCrdFiles()) {
      expect(fs.readFileSync(path.join('crds', fileName), 'utf8'), `crds/${fileName} is stale: run npm run generate:crds`).toBe(text);
      expect(fs.readFileSync(path.join('charts/cutroom/crds', fileName), 'utf8'), `chart copy of ${fileName}`).toBe(text);
    }
    expect(fs.readdirSync('crds').sort()).toEqual(
      renderCrdFiles()
        .map((f) => f.fileName)
        .sort(),
    );
  });

  it('have structural schemas with the status subresource, printer columns and short names', () => {
    const crds = loadCrds([path.resolve('crds')]);
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual(['ImportTask', 'RenderTask']);
    for (const crd of crds) {
      const version = crd.spec.versions[0];
      expect(structuralViolations(version.schema.openAPIV3Schema)).toEqual([]);
      expect(version.subresources).toEqual({ status: {} });
      expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['Phase', 'Progress', 'Node', 'Age']));
      expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
      expect(JSON.stringify(version.schema.openAPIV3Schema.properties.spec)).not.toMatch(/"token"\s*:/);
      expect(() => typeFromCrd(crd)).not.toThrow();
    }
  });

  it('would be refused if a field lost its type (the check can fail)', () => {
    const crd = parse(fs.readFileSync('crds/rendertasks.cutroom.io.yaml', 'utf8'));
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    delete schema.properties.spec.properties.taskId.type;
    schema.properties.status.properties.conditions.items.required = ['status'];
    expect(structuralViolations(schema)).toEqual([
      'openAPIV3Schema.properties[spec].properties[taskId].type: Required value: must not be empty for specified object fields',
      'openAPIV3Schema.properties[status].properties[conditions].items.properties.type: Invalid value: map keys must be required or have a default',
    ]);
    expect(() => typeFromCrd(crd)).toThrow(/not structural/);
  });
});
