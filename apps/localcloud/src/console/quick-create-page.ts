/**
 * The quick-create review page, like the AWS console's: stack name, parameters (prefilled
 * from `param_NAME` query parameters; NoEcho ones as password fields), the IAM
 * acknowledgement, a Create button, then the stack's progress. Plain HTML and JavaScript.
 */

/** What the page starts with, from its query string. */
export interface QuickCreateOptions {
  templateURL: string;
  stackName: string;
  region: string;
  parameters: Record<string, string>;
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

export function quickCreatePage(options: QuickCreateOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Quick create stack · localcloud</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f2f3f3; color: #16191f; }
  header { background: #232f3e; color: #fff; padding: 10px 24px; font-weight: 600; }
  main { max-width: 880px; margin: 24px auto; padding: 0 16px; }
  section { background: #fff; border: 1px solid #d5dbdb; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
  h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 0; }
  label { display: block; font-weight: 600; margin: 12px 0 4px; }
  .hint { color: #5f6b7a; font-size: 13px; font-weight: 400; }
  input[type=text], input[type=password], select { width: 100%; box-sizing: border-box; padding: 6px 8px; border: 1px solid #8c8c94; border-radius: 4px; font: inherit; }
  button { background: #ff9900; border: 0; border-radius: 16px; padding: 8px 20px; font-weight: 700; cursor: pointer; }
  button:disabled { background: #d5dbdb; cursor: default; }
  .ack { display: flex; gap: 8px; align-items: flex-start; font-weight: 400; }
  .error { color: #d13212; white-space: pre-wrap; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  td, th { text-align: left; border-bottom: 1px solid #eaeded; padding: 4px 6px; vertical-align: top; }
  .status { font-weight: 700; }
</style>
</head>
<body>
<header>localcloud · CloudFormation</header>
<main>
<h1>Quick create stack</h1>
<section id="credentials">
  <h2>Account credentials</h2>
  <p class="hint">The stack is created as the account whose access key you enter, with its permissions.
  They are kept in this browser's localStorage for convenience — localcloud is a local development cloud; never enter real AWS credentials here.</p>
  <label for="accessKeyId">Access key ID</label><input type="text" id="accessKeyId" autocomplete="off">
  <label for="secretAccessKey">Secret access key</label><input type="password" id="secretAccessKey" autocomplete="off">
  <label for="region">Region</label><input type="text" id="region">
  <p><button type="button" id="load">Load template</button> <button type="button" id="forget">Forget credentials</button></p>
</section>
<form id="form">
<section>
  <h2>Template</h2>
  <p class="hint" id="templateUrl"></p>
  <p id="description"></p>
</section>
<section>
  <h2>Stack name</h2>
  <label for="stackName">Stack name</label><input type="text" id="stackName" name="stackName" required>
</section>
<section>
  <h2>Parameters</h2>
  <div id="parameters"><p class="hint">Enter credentials and load the template to see its parameters.</p></div>
</section>
<section id="capabilities" hidden>
  <h2>Capabilities</h2>
  <p class="hint" id="capabilitiesReason"></p>
  <label class="ack"><input type="checkbox" id="ackIam" name="ackIam"> I acknowledge that AWS CloudFormation might create IAM resources with custom names.</label>
</section>
<p class="error" id="error" role="alert"></p>
<p><button type="submit" id="create" disabled>Create stack</button></p>
</form>
<section id="progress" hidden>
  <h2>Stack <span id="progressName"></span>: <span class="status" id="stackStatus"></span></h2>
  <p id="stackReason"></p>
  <table><thead><tr><th>Timestamp</th><th>Logical ID</th><th>Status</th><th>Reason</th></tr></thead><tbody id="events"></tbody></table>
</section>
</main>
<script type="application/json" id="options">${scriptJson(options)}</script>
<script>
(function () {
  'use strict';
  var options = JSON.parse(document.getElementById('options').textContent);
  // AWS's own link format keeps the quick-create parameters in the fragment:
  // /console/cloudformation/home?region=R#/stacks/quickcreate?templateURL=…&stackName=…&param_X=…
  var prefix = '#/stacks/quickcreate?';
  if (!options.templateURL && location.hash.indexOf(prefix) === 0) {
    var query = new URLSearchParams(location.hash.slice(prefix.length));
    options.templateURL = query.get('templateURL') || query.get('templateUrl') || '';
    options.stackName = query.get('stackName') || '';
    query.forEach(function (value, key) {
      if (key.indexOf('param_') === 0) options.parameters[key.slice(6)] = value;
    });
  }
  var STORE = 'localcloud.console.credentials';
  var $ = function (id) { return document.getElementById(id); };
  var summary = null;
  var stored = {};
  try { stored = JSON.parse(localStorage.getItem(STORE) || '{}'); } catch (e) { stored = {}; }
  $('accessKeyId').value = stored.accessKeyId || '';
  $('secretAccessKey').value = stored.secretAccessKey || '';
  $('region').value = options.region || stored.region || 'us-east-1';
  $('stackName').value = options.stackName || '';
  $('templateUrl').textContent = 'Template URL: ' + options.templateURL;

  function credentials() {
    return { accessKeyId: $('accessKeyId').value.trim(), secretAccessKey: $('secretAccessKey').value, region: $('region').value.trim() };
  }
  function api(operation, body) {
    var payload = Object.assign(credentials(), body);
    return fetch('/console/cloudformation/api/' + operation, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error((data.code ? data.code + ': ' : '') + (data.message || res.status));
        return data;
      });
    });
  }
  function showError(error) { $('error').textContent = error ? String(error.message || error) : ''; }

  function field(p) {
    var wrap = document.createElement('div');
    var label = document.createElement('label');
    label.htmlFor = 'param_' + p.ParameterKey;
    label.textContent = p.ParameterKey;
    if (p.Description) {
      var hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = ' — ' + p.Description;
      label.appendChild(hint);
    }
    var value = Object.prototype.hasOwnProperty.call(options.parameters, p.ParameterKey) ? options.parameters[p.ParameterKey] : (p.DefaultValue || '');
    var input;
    var allowed = p.ParameterConstraints && p.ParameterConstraints.AllowedValues;
    if (allowed && allowed.length) {
      input = document.createElement('select');
      allowed.forEach(function (v) { var o = document.createElement('option'); o.value = v; o.textContent = v; input.appendChild(o); });
    } else {
      input = document.createElement('input');
      input.type = p.NoEcho ? 'password' : 'text';
    }
    input.id = 'param_' + p.ParameterKey;
    input.name = 'param_' + p.ParameterKey;
    input.dataset.key = p.ParameterKey;
    input.value = value;
    wrap.appendChild(label);
    wrap.appendChild(input);
    if (p.ParameterType && p.ParameterType !== 'String') {
      var type = document.createElement('span');
      type.className = 'hint';
      type.textContent = p.ParameterType;
      wrap.appendChild(type);
    }
    return wrap;
  }

  function load() {
    showError('');
    var c = credentials();
    if (!c.accessKeyId || !c.secretAccessKey) { showError('Enter an access key ID and a secret access key.'); return; }
    api('summary', { templateURL: options.templateURL }).then(function (s) {
      localStorage.setItem(STORE, JSON.stringify(c));
      summary = s;
      $('description').textContent = s.Description || '';
      var box = $('parameters');
      box.textContent = '';
      (s.Parameters || []).forEach(function (p) { box.appendChild(field(p)); });
      if (!(s.Parameters || []).length) box.textContent = 'This template has no parameters.';
      var caps = s.Capabilities || [];
      $('capabilities').hidden = caps.length === 0;
      $('capabilitiesReason').textContent = s.CapabilitiesReason || '';
      $('create').disabled = false;
    }).catch(showError);
  }

  function status(stackName) {
    Promise.all([api('stack', { stackName: stackName }), api('events', { stackName: stackName })]).then(function (r) {
      var stack = r[0].Stacks[0];
      $('stackStatus').textContent = stack.StackStatus;
      $('stackReason').textContent = stack.StackStatusReason || '';
      var body = $('events');
      body.textContent = '';
      (r[1].StackEvents || []).forEach(function (e) {
        var tr = document.createElement('tr');
        [new Date(e.Timestamp).toLocaleTimeString(), e.LogicalResourceId, e.ResourceStatus, e.ResourceStatusReason || ''].forEach(function (t) {
          var td = document.createElement('td'); td.textContent = t; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      if (/_IN_PROGRESS$/.test(stack.StackStatus)) setTimeout(function () { status(stack.StackId); }, 1000);
    }).catch(showError);
  }

  $('load').addEventListener('click', load);
  $('forget').addEventListener('click', function () {
    localStorage.removeItem(STORE);
    $('accessKeyId').value = ''; $('secretAccessKey').value = '';
  });
  $('form').addEventListener('submit', function (event) {
    event.preventDefault();
    showError('');
    if (!summary) { load(); return; }
    var caps = summary.Capabilities || [];
    if (caps.length && !$('ackIam').checked) {
      showError('Requires capabilities : [' + caps.join(', ') + ']. Tick the acknowledgement to create this stack.');
      return;
    }
    var parameters = [];
    document.querySelectorAll('[data-key]').forEach(function (input) {
      parameters.push({ ParameterKey: input.dataset.key, ParameterValue: input.value });
    });
    var stackName = $('stackName').value.trim();
    $('create').disabled = true;
    api('create', { stackName: stackName, templateURL: options.templateURL, parameters: parameters, capabilities: caps.length ? caps : [] })
      .then(function (out) {
        $('form').hidden = true;
        $('progress').hidden = false;
        $('progressName').textContent = stackName;
        status(out.StackId);
      })
      .catch(function (error) { $('create').disabled = false; showError(error); });
  });
  if ($('accessKeyId').value && $('secretAccessKey').value) load();
})();
</script>
</body>
</html>
`;
}
