-- Headless Neovim (0.7.2+) driving the Compilot language server through the built-in LSP client.
--
-- Environment: COMPILOT_CMD (JSON list: the server command), COMPILOT_RESULT (JSON file to write),
-- COMPILOT_LINE / COMPILOT_CHARACTER (0-based cursor for the requests), COMPILOT_INIT (JSON init options),
-- COMPILOT_BROKEN (a line that does not compile: it replaces line COMPILOT_LINE, then its quick fix is applied
-- and the buffer written).
-- The Java file is the one named on the command line. -u runs before filetype detection on 0.7, so the
-- work starts from VimEnter. Exits with :cquit 1 when something fails; the JSON says what.

local result = { errors = {}, statuses = {}, diagnostics = {} }

local function decode(text)
  return vim.fn.json_decode(text)
end

local function finish(ok)
  result.ok = ok
  local file = io.open(os.getenv("COMPILOT_RESULT"), "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  if ok then
    vim.cmd("qall!")
  else
    vim.cmd("cquit 1")
  end
end

local function fail(message)
  table.insert(result.errors, message)
  finish(false)
end

-- Fix to compile: break line `line`, wait for javac's diagnostic, request the quick fix (resolving it when
-- the client and server both support that), apply its WorkspaceEdit and write the file.
local function quick_fix(buf, line)
  local fix = { actions = {} }
  local broken = os.getenv("COMPILOT_BROKEN")
  vim.api.nvim_buf_set_lines(buf, line, line + 1, false, { broken })
  local function current()
    return vim.lsp.diagnostic.get_line_diagnostics(buf, line)
  end
  local function expected()
    for _, d in ipairs(current()) do
      if d.source == "javac" and d.message:find("';' expected", 1, true) then
        return true
      end
    end
    return false
  end
  if not vim.wait(60000, expected, 50) then
    return fix, "no javac diagnostic for the broken line: " .. vim.inspect(current())
  end
  local uri = vim.uri_from_bufnr(buf)
  local t0 = vim.loop.hrtime()
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = #broken } },
    context = { diagnostics = current() },
  }, 30000)
  fix.action_ms = (vim.loop.hrtime() - t0) / 1e6
  local client_id, action
  for id, response in pairs(responses or {}) do
    if response.err then
      return fix, "codeAction: " .. vim.inspect(response.err)
    end
    for _, a in ipairs(response.result or {}) do
      table.insert(fix.actions, { title = a.title, kind = a.kind, edit = a.edit ~= nil })
      if not action then
        client_id, action = id, a
      end
    end
  end
  if not action then
    return fix, "no code action offered"
  end
  local client = vim.lsp.get_client_by_id(client_id)
  local resolve_support = vim.lsp.protocol.make_client_capabilities().textDocument.codeAction.resolveSupport
  local provider = client.server_capabilities.codeActionProvider
  fix.client_resolves = resolve_support ~= nil and vim.tbl_contains(resolve_support.properties, "edit")
  if not action.edit and fix.client_resolves and type(provider) == "table" and provider.resolveProvider then
    local resolved = client.request_sync("codeAction/resolve", action, 30000, buf)
    if not resolved or resolved.err then
      return fix, "codeAction/resolve: " .. vim.inspect(resolved)
    end
    action = resolved.result
    fix.resolved = true
  end
  fix.title = action.title
  if not action.edit then
    return fix, "the quick fix has no edit: " .. tostring(action.title)
  end
  vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
  vim.api.nvim_buf_call(buf, function()
    vim.cmd("write")
  end)
  fix.written = vim.api.nvim_buf_get_name(buf)
  fix.line = vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1]
  return fix, nil
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype
  local line = tonumber(os.getenv("COMPILOT_LINE"))
  local character = tonumber(os.getenv("COMPILOT_CHARACTER"))
  local ready = false

  local client_id = vim.lsp.start_client({
    name = "compilot",
    cmd = decode(os.getenv("COMPILOT_CMD")),
    root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":p:h"),
    init_options = decode(os.getenv("COMPILOT_INIT") or "{}"),
    handlers = {
      ["compilot/status"] = function(_, params)
        table.insert(result.statuses, params)
        if params.state == "ready" or params.state == "error" then
          ready = true
        end
      end,
    },
  })
  if not client_id then
    return fail("start_client failed")
  end
  vim.lsp.buf_attach_client(buf, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  if not vim.wait(30000, function() return client.initialized end, 50) then
    return fail("the client never initialized")
  end
  result.capabilities = {
    completion = client.server_capabilities.completionProvider ~= nil,
    inline = client.server_capabilities.inlineCompletionProvider ~= nil,
    codeAction = client.server_capabilities.codeActionProvider,
  }
  if not vim.wait(120000, function() return ready end, 50) then
    return fail("no ready status from the server")
  end

  local uri = vim.uri_from_bufnr(buf)
  local position = { line = line, character = character }
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/completion", {
    textDocument = { uri = uri },
    position = position,
    context = { triggerKind = 2, triggerCharacter = "." },
  }, 90000)
  local items = {}
  for _, response in pairs(responses or {}) do
    if response.err then
      table.insert(result.errors, "completion: " .. vim.inspect(response.err))
    end
    local list = response.result or {}
    for _, item in ipairs(list.items or list) do
      table.insert(items, {
        label = item.label,
        detail = item.detail,
        newText = item.textEdit and item.textEdit.newText,
        range = item.textEdit and item.textEdit.range,
      })
    end
  end
  result.completion = items

  responses = vim.lsp.buf_request_sync(buf, "textDocument/inlineCompletion", {
    textDocument = { uri = uri },
    position = position,
    context = { triggerKind = 1 },
  }, 90000)
  result.inline = {}
  for _, response in pairs(responses or {}) do
    for _, item in ipairs((response.result or {}).items or {}) do
      table.insert(result.inline, { insertText = item.insertText, range = item.range })
    end
  end

  if not vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then
    return fail("no diagnostics arrived")
  end
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source })
  end

  local fixed, why = quick_fix(buf, line)
  result.fix = fixed
  if why then
    table.insert(result.errors, why)
  end

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.client_is_stopped(client_id) end, 50)
  finish(#items > 0 and #result.errors == 0)
end

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local ok, err = pcall(run)
    if not ok then
      fail("error: " .. tostring(err))
    end
  end,
})
