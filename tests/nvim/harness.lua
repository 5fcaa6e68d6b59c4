-- Shared helpers for Infill's end-to-end tests in headless Neovim. Each test opens a file of a
-- copy of examples/demo, starts the real `infill` binary as its language server, and records
-- PASS or FAIL with a reason in $INFILL_RESULT before quitting.
local M = {}

M.bin = assert(os.getenv('INFILL_BIN'), 'INFILL_BIN is not set')
M.project = assert(os.getenv('INFILL_PROJECT'), 'INFILL_PROJECT is not set')
M.result_file = assert(os.getenv('INFILL_RESULT'), 'INFILL_RESULT is not set')

function M.finish(ok, message)
  local file = io.open(M.result_file, 'w')
  file:write((ok and 'PASS' or 'FAIL') .. ' ' .. message .. '\n')
  file:close()
  vim.cmd(ok and 'qa!' or 'cq!')
end

-- Opens `relative` and starts infill for it; `capabilities` overrides the client's.
function M.open(relative, capabilities)
  vim.cmd('edit ' .. M.project .. '/' .. relative)
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start({
    name = 'infill',
    cmd = { M.bin, 'lsp', '--log-file', M.project .. '/infill.log' },
    root_dir = M.project,
    capabilities = capabilities,
  }, { bufnr = bufnr })
  assert(client_id, 'the client did not start')
  local client = vim.lsp.get_client_by_id(client_id)
  local ready = vim.wait(60000, function()
    if not client.initialized then
      return false
    end
    local response = client:request_sync('infill/status', {}, 5000, bufnr)
    return response and response.result and response.result.engine == 'ready'
  end, 200)
  if not ready then
    M.finish(false, 'the model did not become ready within 60 s')
  end
  return bufnr, client
end

-- Polls `check` every 100 ms on the main loop (so insert mode stays active) until it returns
-- true, or fails the test after `timeout_ms`.
function M.poll(timeout_ms, what, check)
  local started = vim.uv.now()
  local timer = vim.uv.new_timer()
  timer:start(100, 100, vim.schedule_wrap(function()
    local ok, done = pcall(check)
    if not ok then
      timer:stop()
      M.finish(false, what .. ': ' .. tostring(done))
    elseif done then
      timer:stop()
    elseif vim.uv.now() - started > timeout_ms then
      timer:stop()
      M.finish(false, 'timed out waiting for ' .. what)
    end
  end))
end

-- The ghost text that vim.lsp.inline_completion shows in `bufnr`: the first line's virtual text,
-- then each further line after a newline (the "(k/n)" hint of cycling ends the last one), or nil
-- while nothing is shown.
local inline_namespace
function M.ghost_text(bufnr)
  inline_namespace = inline_namespace or vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  if not inline_namespace then
    return nil
  end
  local text
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, inline_namespace, 0, -1, { details = true })) do
    local parts = {}
    for _, chunk in ipairs(mark[4].virt_text or {}) do
      table.insert(parts, chunk[1])
    end
    for _, virt_line in ipairs(mark[4].virt_lines or {}) do
      local chunks = {}
      for _, chunk in ipairs(virt_line) do
        table.insert(chunks, chunk[1])
      end
      table.insert(parts, '\n' .. table.concat(chunks))
    end
    if #parts > 0 then
      text = table.concat(parts)
    end
  end
  return (text and text ~= '') and text or nil
end

return M
