-- Headless Neovim (0.7.2+) driving the Compilot language server through the built-in LSP client.
--
-- Environment: COMPILOT_CMD (JSON list: the server command), COMPILOT_RESULT (JSON file to write),
-- COMPILOT_LINE / COMPILOT_CHARACTER (0-based cursor for the requests), COMPILOT_INIT (JSON init options).
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
