// End-to-end test of the xkvm web UI (web/) as xkvmd serves it, driven in
// Debian's Chromium through playwright-core, run by `node --test`.
//
// What it expects (the calling script sets this up; nothing here starts or
// mocks a daemon):
// - xkvmd running and listening on TCP (`--listen HOST:PORT`), serving the
//   built UI (web/dist or $XKVM_WEB_DIR);
// - XKVM_UI_URL: the UI's URL with the token, as xkvmd prints it, e.g.
//   http://127.0.0.1:8007/?token=abc (the token is also used, as a Bearer
//   header, for the test's own API requests);
// - XKVM_UI_VM: the name_label of a VM that is Running, of virtualizationMode
//   `pvh`, whose guest console (hvc0) runs a busybox shell that has printed
//   its prompt (the test types `echo xkvm-$((6*7))` and waits for xkvm-42),
//   and whose guest powers off on a clean shutdown (the last test shuts it
//   down and waits, at most 120 s, for Halted: the VM is left Halted);
// - XKVM_SCREENSHOTS: a directory for the screenshots (created if missing;
//   a temporary one, printed, when unset): sign-in.png, list.png,
//   list-filtered.png, general.png, advanced.png, console.png, stats.png,
//   halted.png, and
//   <step>-failure.png when a step fails;
// - optional XKVM_CHROMIUM: the browser (default /usr/bin/chromium).
//
// Run: cd tests/web && npm ci && XKVM_UI_URL=... XKVM_UI_VM=... \
//      XKVM_SCREENSHOTS=... npm test
// The steps run in order in one browser; each navigates by itself, so one
// failing step does not hide the others. Waits are bounded; nothing asserts
// on timing.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'

const UI_URL = process.env.XKVM_UI_URL
const VM = process.env.XKVM_UI_VM
// A paused HVM guest with Xen's platform device whose kernel will switch to
// PV drivers once resumed (optional: its step is skipped without it).
const HVM_VM = process.env.XKVM_UI_HVM_VM
const CHROMIUM = process.env.XKVM_CHROMIUM || '/usr/bin/chromium'
let SHOTS = process.env.XKVM_SCREENSHOTS

const STEP_TIMEOUT = 180_000
const SHUTDOWN_WAIT = 120_000
// SeaBIOS, GRUB and Linux up to its PV drivers, in the nested test host.
const PV_DRIVERS_WAIT = 480_000

let origin
let token
let userDataDir
let context
let page
const pageErrors = []

// ---------------------------------------------------------------- helpers

async function api(pathAndQuery) {
  const response = await fetch(`${origin}/rest/v0${pathAndQuery}`, {
    headers: token ? { Authorization: `Bearer ${token}`, Accept: 'application/json' } : { Accept: 'application/json' },
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`API GET ${pathAndQuery}: ${response.status} ${text.trim()}`)
  return JSON.parse(text)
}

async function apiPost(pathAndQuery) {
  const response = await fetch(`${origin}/rest/v0${pathAndQuery}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`API POST ${pathAndQuery}: ${response.status} ${text.trim()}`)
  return text ? JSON.parse(text) : null
}

// Retry `check` (which throws, e.g. an assert) until it passes or `timeout`
// ms have gone by; then fail with `what` and the last error.
async function eventually(what, check, { timeout = 30_000, interval = 250 } = {}) {
  const deadline = Date.now() + timeout
  let lastError
  for (;;) {
    try {
      return await check()
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) break
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
  const error = new Error(`timed out after ${Math.round(timeout / 1000)} s waiting for ${what}: ${lastError?.message ?? lastError}`)
  error.cause = lastError
  throw error
}

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true })
}

// Run one step; on failure keep a screenshot of what the page showed.
function step(name, fn, timeout = STEP_TIMEOUT) {
  test(name, { timeout }, async () => {
    assert.ok(page, 'the browser did not start (see the first failure)')
    try {
      await fn()
    } catch (error) {
      const file = `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-failure.png`
      await page.screenshot({ path: path.join(SHOTS, file), fullPage: true }).catch(() => {})
      error.message += `\n    (page URL: ${page.url()}; screenshot: ${path.join(SHOTS, file)})`
      throw error
    }
  })
}

function searchParam(name) {
  return new URL(page.url()).searchParams.get(name)
}

// The names in the VM list, in the order shown.
async function listedNames() {
  return page.getByRole('table', { name: 'VMs' }).locator('tbody').getByRole('link').allTextContents()
}

async function listedModes() {
  return page.getByRole('table', { name: 'VMs' }).locator('tbody').getByTestId('vm-mode').allTextContents()
}

async function apiNames(filter) {
  const vms = await api(`/vms?fields=name_label&filter=${encodeURIComponent(filter)}`)
  return vms.map((vm) => vm.name_label)
}

// As the UI formats memory (binary units, at most one decimal).
function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const rounded = Math.round(value * 10) / 10
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[unit]}`
}

// The terminal's text: xterm's buffer, through the handle the console tab
// sets (the real Terminal, not a copy); the DOM renderer's rows otherwise.
async function terminalText() {
  return page.evaluate(() => {
    const term = window.__xkvmTerm
    if (term) {
      const buffer = term.buffer.active
      const lines = []
      for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '')
      return lines.join('\n')
    }
    const rows = document.querySelector('.xterm-rows')
    return rows ? [...rows.children].map((row) => row.textContent.replace(/\u00a0/g, ' ')).join('\n') : ''
  })
}

async function vmObject() {
  return api(`/vms/${encodeURIComponent(VM)}`)
}

// ------------------------------------------------------------------ setup

before(async () => {
  assert.ok(UI_URL, 'XKVM_UI_URL is not set: the UI URL with ?token=… that xkvmd printed, e.g. http://127.0.0.1:8007/?token=abc')
  assert.ok(VM, 'XKVM_UI_VM is not set: the name_label of a running pvh VM whose console runs a busybox shell')
  const url = new URL(UI_URL)
  origin = url.origin
  token = url.searchParams.get('token')
  if (!SHOTS) {
    SHOTS = fs.mkdtempSync(path.join(os.tmpdir(), 'xkvm-ui-shots-'))
    console.log(`# XKVM_SCREENSHOTS unset: screenshots go to ${SHOTS}`)
  }
  fs.mkdirSync(SHOTS, { recursive: true })

  const vm = await vmObject()
  assert.equal(vm.power_state, 'Running', `precondition: VM ${VM} must be Running before the test`)
  assert.equal(vm.virtualizationMode, 'pvh', `precondition: VM ${VM} must be of mode pvh`)

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xkvm-ui-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1366, height: 860 },
  })
  context.setDefaultTimeout(30_000)
  page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (error) => pageErrors.push(String(error)))
})

after(async () => {
  await context?.close().catch(() => {})
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true })
  if (SHOTS) console.log(`# screenshots in ${SHOTS}`)
})

// ------------------------------------------------------------------ steps

step('headers: the credential is bound to xkvmd, the UI cannot be framed', async () => {
  for (const p of ['/', '/vms', '/rest/v0/host']) {
    const response = await fetch(`${origin}${p}`, { headers: { Authorization: `Bearer ${token}` } })
    assert.equal(response.status, 200, `${p}: status`)
    const csp = response.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'self'/, `${p}: CSP ${csp}`)
    assert.match(csp, /frame-ancestors 'none'/, `${p}: CSP ${csp}`)
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/, `${p}: CSP allows inline scripts`)
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer', `${p}: Referrer-Policy`)
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `${p}: X-Content-Type-Options`)
    assert.equal(response.headers.get('set-cookie'), null, `${p}: sets a cookie`)
  }
  // A cookie (which browsers send to every port of 127.0.0.1) or the URL is no credential.
  const cookie = await fetch(`${origin}/rest/v0/host`, { headers: { Cookie: `authenticationToken=${token}` } })
  assert.equal(cookie.status, 401, 'the API accepted the token as a cookie')
  const query = await fetch(`${origin}/rest/v0/host?token=${token}`)
  assert.equal(query.status, 401, 'the API accepted the token in the URL')
})

step('sign-in page: without a token the UI asks for it, refuses a wrong one, takes the right one', async () => {
  // A new tab: sessionStorage is per tab, so it holds no token.
  const tab = await context.newPage()
  try {
    const response = await tab.goto(`${origin}/vms`)
    assert.equal(response.status(), 200, 'the UI is served without a token')
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/, 'the UI page is HTML, not JSON')
    const heading = tab.getByRole('heading', { level: 1, name: 'Sign in to xkvmd' })
    await heading.waitFor()
    const input = tab.getByLabel('API token')
    await input.fill('0'.repeat(64))
    await tab.getByRole('button', { name: 'Sign in' }).click()
    await eventually('the wrong token refused', async () =>
      assert.match((await tab.locator('#sign-in-error').textContent()) ?? '', /does not accept this token/),
    )
    assert.equal(await tab.evaluate(() => sessionStorage.getItem('xkvm.token')), null, 'a refused token is kept')
    await tab.screenshot({ path: path.join(SHOTS, 'sign-in.png'), fullPage: true })
    await input.fill(token)
    await tab.getByRole('button', { name: 'Sign in' }).click()
    await tab.getByRole('searchbox', { name: 'Search' }).waitFor()
    await eventually(`${VM} in the VM list after signing in`, async () =>
      assert.ok((await tab.getByRole('table', { name: 'VMs' }).locator('tbody').getByRole('link').allTextContents()).includes(VM)),
    )
    assert.equal(await tab.evaluate(() => sessionStorage.getItem('xkvm.token')), token, 'the token in sessionStorage')
    assert.deepEqual(await context.cookies(), [], 'cookies set for xkvmd')
  } finally {
    await tab.close()
  }
})

step('VM list: search bar filters through ?s= with complex-matcher', async () => {
  await page.goto(UI_URL)
  const search = page.getByRole('searchbox', { name: 'Search' })
  await search.waitFor()
  await eventually(`${VM} in the VM list`, async () => assert.ok((await listedNames()).includes(VM), `listed: ${await listedNames()}`))
  assert.equal(searchParam('token'), null, 'the token stays in the address bar after sign-in')
  assert.equal(await page.evaluate(() => sessionStorage.getItem('xkvm.token')), token, 'the ?token= not kept in sessionStorage')
  const state = page.getByRole('table', { name: 'VMs' }).getByRole('img', { name: 'Running' })
  assert.ok((await state.count()) >= 1, 'no power-state icon named "Running" in the list')
  await shot('list.png')

  // Typing updates the URL; the list holds what the server's matcher holds.
  await search.fill('virtualizationMode:pvh')
  await eventually('?s= in the URL', () => assert.equal(searchParam('s'), 'virtualizationMode:pvh'))
  const expected = await apiNames('virtualizationMode:pvh')
  assert.ok(expected.includes(VM), `the API's filter virtualizationMode:pvh does not list ${VM}: ${expected}`)
  await eventually('the list filtered to virtualizationMode:pvh', async () =>
    assert.deepEqual(await listedNames(), expected),
  )
  // complex-matcher matches substrings: `pvh` also matches pv_in_pvh.
  for (const mode of await listedModes()) assert.ok(['pvh', 'pv_in_pvh'].includes(mode), `mode ${mode} listed for virtualizationMode:pvh`)
  await shot('list-filtered.png')

  // Exactly pvh with a regex.
  await search.fill('virtualizationMode:/^pvh$/')
  await eventually('the list filtered to virtualizationMode:/^pvh$/', async () => {
    assert.deepEqual(await listedNames(), await apiNames('virtualizationMode:/^pvh$/'))
    const modes = await listedModes()
    assert.ok(modes.length >= 1 && modes.every((m) => m === 'pvh'), `modes listed: ${modes}`)
  })

  // A malformed filter shows the parse error and keeps the last list.
  const before = await listedNames()
  await search.fill('(')
  const error = page.locator('#search-error')
  await eventually('the parse error under the search bar', async () =>
    assert.match((await error.textContent()) ?? '', /^parse error: expected .+ at position \d+$/),
  )
  assert.equal(await error.getAttribute('role'), 'alert')
  assert.equal(await search.getAttribute('aria-invalid'), 'true')
  assert.equal(searchParam('s'), '(')
  assert.deepEqual(await listedNames(), before, 'a bad filter changed the list')

  // Queries that match nothing empty the list.
  await search.fill('virtualizationMode:hvm')
  const hvm = await apiNames('virtualizationMode:hvm')
  await eventually('the list filtered to virtualizationMode:hvm', async () => assert.deepEqual(await listedNames(), hvm))
  const nothing = `name_label:no-such-vm-${process.pid}-${Date.now()}`
  await search.fill(nothing)
  await eventually('an empty list', async () => assert.deepEqual(await listedNames(), []))
  await page.getByText('No VM matches this filter.').waitFor()
  assert.equal(await page.locator('#search-error').count(), 0, 'a valid filter still shows an error')

  // A saved filter from the menu.
  await page.getByRole('button', { name: 'Filters' }).click()
  await page.getByRole('menuitem', { name: /PVH guests/ }).click()
  await eventually('the saved filter "PVH guests" applied', async () => {
    assert.equal(searchParam('s'), 'virtualizationMode:pvh')
    assert.deepEqual(await listedNames(), expected)
  })

  // Loading a URL with ?s= fills the bar and filters.
  await page.goto(`${origin}/vms?s=${encodeURIComponent('virtualizationMode:pvh')}`)
  await eventually('the search bar filled from ?s=', async () => assert.equal(await search.inputValue(), 'virtualizationMode:pvh'))
  await eventually('the list filtered from ?s=', async () => assert.deepEqual(await listedNames(), expected))
})

step('VM view: General and Advanced tabs show the API object', async () => {
  const vm = await vmObject()
  await page.goto(`${origin}/vms`)
  await page.getByRole('table', { name: 'VMs' }).getByRole('link', { name: VM, exact: true }).click()
  await eventually('the VM view URL', () => assert.match(new URL(page.url()).pathname, new RegExp(`^/vms/${vm.uuid}(/general)?$`)))
  await page.getByRole('heading', { level: 1, name: VM }).waitFor()

  await page.getByRole('tab', { name: 'General' }).click()
  await eventually('/general in the URL', () => assert.equal(new URL(page.url()).pathname, `/vms/${vm.uuid}/general`))
  assert.equal(await page.getByRole('tab', { name: 'General' }).getAttribute('aria-selected'), 'true')
  const mode = page.getByTestId('virtualization-mode')
  assert.equal((await mode.textContent())?.trim(), 'pvh')
  assert.equal((await page.getByTestId('vcpus').textContent())?.trim(), String(vm.CPUs.number), 'vCPUs')
  const memory = page.getByTestId('memory')
  assert.equal(await memory.getAttribute('data-bytes'), String(vm.memory.size), 'memory in bytes')
  assert.equal((await memory.textContent())?.trim(), formatBytes(vm.memory.size), 'memory shown')
  assert.equal((await page.getByTestId('power-state').textContent())?.trim(), 'Running')
  assert.match((await page.getByTestId('start-time').textContent()) ?? '', /started .+ ago/)
  if (vm.$VBDs?.length) await page.getByRole('table', { name: 'Disks' }).getByText(vm.$VBDs[0].device, { exact: true }).waitFor()
  if (vm.VIFs?.length) await page.getByRole('table', { name: 'Network interfaces' }).getByText(vm.VIFs[0].MAC, { exact: true }).waitFor()
  await shot('general.png')

  await page.getByRole('tab', { name: 'Advanced' }).click()
  await eventually('/advanced in the URL', () => assert.equal(new URL(page.url()).pathname, `/vms/${vm.uuid}/advanced`))
  await page.getByRole('heading', { name: 'Xen settings' }).waitFor()
  const settings = page.getByRole('table', { name: 'Xen settings' })
  const cell = async (name) => (await settings.getByRole('row', { name: new RegExp(`^${name}`) }).getByRole('cell').textContent())?.trim()
  assert.equal(await cell('Virtualization mode'), 'pvh')
  if (vm.PV_args) assert.equal(await cell('PV args'), vm.PV_args)
  if (vm.boot?.kernel) assert.equal(await cell('Kernel'), vm.boot.kernel)
  assert.equal(await cell('On crash'), vm.on_crash)
  await shot('advanced.png')
})

step('VM view: Console runs a command in the guest', async () => {
  const vm = await vmObject()
  await page.goto(`${origin}/vms/${vm.uuid}/console`)
  assert.equal(await page.getByRole('tab', { name: 'Console' }).getAttribute('aria-selected'), 'true')
  const status = page.getByTestId('console-status')
  await eventually('the console to connect', async () => assert.equal((await status.textContent())?.trim(), 'Connected'))
  await page.getByRole('region', { name: `Console of ${VM}` }).click()
  await page.keyboard.press('Enter')
  await page.keyboard.type('echo xkvm-$((6*7))')
  await page.keyboard.press('Enter')
  await eventually(
    'xkvm-42 in the terminal',
    async () => {
      const text = await terminalText()
      assert.ok(
        text.split('\n').some((line) => line.includes('xkvm-42') && !line.includes('echo')),
        `terminal text ends with:\n${text.trimEnd().split('\n').slice(-8).join('\n')}`,
      )
    },
    { timeout: 60_000 },
  )
  await shot('console.png')
})

step('VM view: Stats draws CPU and memory graphs', async () => {
  const vm = await vmObject()
  await page.goto(`${origin}/vms/${vm.uuid}/stats`)
  for (const name of ['CPU usage', 'Memory']) {
    const graph = page.getByRole('img', { name: new RegExp(`^${name} graph`) })
    await eventually(
      `${name} graph with at least 2 points`,
      async () => {
        const points = Number(await graph.getAttribute('data-points'))
        assert.ok(points >= 2, `${points} points`)
        const drawn = await graph.evaluate((svg) => svg.querySelector('polyline')?.points.numberOfItems ?? 0)
        assert.ok(drawn >= 2, `${drawn} points drawn`)
      },
      { timeout: 60_000 },
    )
  }
  await shot('stats.png')
})

step('VM view: Shut down halts the VM', async () => {
  const vm = await vmObject()
  await page.goto(`${origin}/vms/${vm.uuid}/general`)
  const toolbar = page.getByRole('toolbar', { name: 'VM actions' })
  const shutDown = toolbar.getByRole('button', { name: 'Shut down', exact: true })
  await eventually('Shut down enabled', async () => assert.ok(await shutDown.isEnabled()))
  assert.ok(await toolbar.getByRole('button', { name: 'Start', exact: true }).isDisabled(), 'Start enabled while Running')
  await shutDown.click()
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  await dialog.getByRole('button', { name: 'Shut down', exact: true }).click()
  await dialog.waitFor({ state: 'hidden' })
  await eventually(
    'Halted on the page',
    async () => assert.equal((await page.getByTestId('power-state').textContent())?.trim(), 'Halted'),
    { timeout: SHUTDOWN_WAIT, interval: 1000 },
  )
  assert.equal((await vmObject()).power_state, 'Halted', 'power_state in the API')
  await eventually('Start enabled once Halted', async () =>
    assert.ok(await toolbar.getByRole('button', { name: 'Start', exact: true }).isEnabled()),
  )
  assert.ok(await shutDown.isDisabled(), 'Shut down still enabled once Halted')
  await shot('halted.png')
})

// XO's General tab: "Hardware virtualization (HVM)" until the guest's PV
// drivers connect, then the PVHVM line, on the page as it stands (the view
// polls the API; nothing reloads it).
step(
  'VM view: the mode line turns PVHVM live when the guest\'s PV drivers connect',
  async () => {
    if (!HVM_VM) return
    let vm = await api(`/vms/${encodeURIComponent(HVM_VM)}`)
    assert.equal(vm.virtualizationMode, 'hvm', `precondition: ${HVM_VM} must be an hvm VM`)
    assert.equal(vm.power_state, 'Paused', `precondition: ${HVM_VM} must be paused`)
    await page.goto(`${origin}/vms/${vm.uuid}/general`)
    const mode = page.getByTestId('virtualization-mode')
    await eventually('the HVM line while paused', async () =>
      assert.equal((await mode.textContent())?.trim(), 'Hardware virtualization (HVM)'),
    )
    await page.evaluate(() => {
      window.xkvmSamePage = true
    })
    const toolbar = page.getByRole('toolbar', { name: 'VM actions' })
    await toolbar.getByRole('button', { name: 'Resume', exact: true }).click()
    await eventually(
      'the PVHVM line',
      async () =>
        assert.equal(
          (await mode.textContent())?.trim(),
          'Hardware virtualization with paravirtualization drivers enabled (PVHVM)',
        ),
      { timeout: PV_DRIVERS_WAIT, interval: 500 },
    )
    assert.equal(await page.evaluate(() => window.xkvmSamePage), true, 'the page was reloaded')
    vm = await api(`/vms/${encodeURIComponent(HVM_VM)}`)
    assert.equal(vm.virtualizationMode, 'hvm', 'virtualizationMode stays hvm')
    assert.equal(vm.pvDriversDetected, true, 'pvDriversDetected in the API')
    assert.match(vm.pvDriversVersion ?? '', /^linux \d+$/, 'pvDriversVersion in the API')
    await shot('general-pvhvm.png')
    await apiPost(`/vms/${vm.uuid}/actions/hard_shutdown`)
  },
  PV_DRIVERS_WAIT + 60_000,
)

step('no uncaught JavaScript errors in the page', async () => {
  assert.deepEqual(pageErrors, [])
})
