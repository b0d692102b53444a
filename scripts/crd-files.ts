import { stringify } from 'yaml';
import { taskCrds } from '../control-plane/src/kubernetes/task-crd.js';

/** The CRD files' exact text, shared by the generator and the test that catches drift. */
export function renderCrdFiles(): Array<{ fileName: string; text: string }> {
  return taskCrds().map(({ fileName, document }) => ({
    fileName,
    text: `# Generated from control-plane/src/kubernetes/task-crd.ts by \`npm run generate:crds\`; edit that file.\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`,
  }));
}
