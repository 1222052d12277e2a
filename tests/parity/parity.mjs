// SPDX-License-Identifier: MIT
// Run every query of a corpus through the npm package complex-matcher over
// every VM of the corpus. One JSON array element per line, in the form
// cm_parity.c prints, so that run.sh can compare the two line by line:
//   {"query":Q,"result":{"names":[...],"string":S}}   or
//   {"query":Q,"result":{"error":E}}
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const CM = require('complex-matcher')

const corpus = JSON.parse(readFileSync(process.argv[2] ?? new URL('corpus.json', import.meta.url), 'utf8'))
const lines = corpus.queries.map(query => {
  let result
  try {
    const node = CM.parse(query)
    const predicate = node.createPredicate()
    result = { names: corpus.vms.filter(predicate).map(vm => vm.name_label), string: node.toString() }
  } catch (error) {
    result = { error: error.message }
  }
  return JSON.stringify({ query, result })
})
process.stdout.write('[\n' + lines.join(',\n') + '\n]\n')
