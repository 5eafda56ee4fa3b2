#!lua name=oms
--[[
redis/oms.lua — the oms Redis Function library (Redis 7.0).

DESIGN §7: "Each command is applied by one Redis Function call ... so a
transition, its event, its dedupe record and its index updates commit
together or not at all." The worker loads this file at start with
FUNCTION LOAD REPLACE and calls, once per command:

  FCALL oms_apply 10 <order> <order>:events <order>:applied <pending>
        oms:orders <customer index> oms:events <reply>
        oms:seq:order oms:ordernumber
        <type> <commandId> <orderId> <at> <actor> <data> <createdAtMs>
        <createdAt> <eventsCap> <replyTtl>

and, read-only, FCALL_RO oms_get 1 oms:order:<orderId> (the order) and
FCALL_RO oms_events 1 oms:order:<orderId> (its history). oms-fcgi calls
FCALL oms_request_cancel 1 oms:order:<orderId> <cancel|delete> <at>
before it publishes a cancel or a delete (cancel wins exactly). docs/redis.md has
the whole contract, docs/flow.md the state machine.

Functions are atomic but do not roll back (REFERENCES.md): writes made
before an error stay. So every call runs in three phases:
  1. validate the arguments (an EINVAL error reply, nothing written);
  2. read the order and decide — pure code that returns a plan;
  3. write the plan. Nothing after the first write can fail (Redis checks
     memory before a writing function starts).
--]]

local STATUS_NONE = 'none'

-- The most events one order's stream may hold before orders.update is
-- refused (docs/redis.md "Bounds"): every other command changes an order
-- a bounded number of times (the state machine moves forward only), so
-- with updates capped, an order holds at most this many events and
-- applied ids plus a few dozen.
local ORDER_EVENTS_MAX = 500

-- DESIGN §4: "Ids are 1..64 chars of [A-Za-z0-9_.:-]" (lib/order.c).
local function is_id(s)
	return type(s) == 'string' and #s >= 1 and #s <= 64 and
	    not s:find('[^A-Za-z0-9_.:%-]')
end

-- "RFC 3339 UTC, milliseconds": 2026-11-25T11:00:00.123Z
local function is_time(s)
	return type(s) == 'string' and
	    s:find('^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$') ~= nil
end

local function is_uint(s)
	return type(s) == 'string' and s:find('^%d+$') ~= nil and #s <= 15
end

local function is_object(v)
	return type(v) == 'table'
end

-- True for a non-empty JSON array (a table with keys 1..n only).
local function is_array(v)
	if type(v) ~= 'table' then
		return false
	end
	local n = 0
	for _ in pairs(v) do
		n = n + 1
	end
	return n > 0 and n == #v
end

local function decode(text)
	local ok, v = pcall(cjson.decode, text)
	if not ok then
		return nil
	end
	return v
end

local function einval(msg)
	return redis.error_reply('EINVAL ' .. msg)
end

-- JSON text of an object whose members keep the given order. members is a
-- list of {name, value} or {name, text, true} (text already JSON). nil
-- values are left out. cjson alone cannot do this, and it writes an empty
-- Lua table as {} where followUps needs [].
local function json_object(members)
	local out = {}
	for _, m in ipairs(members) do
		if m[2] ~= nil then
			local v = m[3] and m[2] or cjson.encode(m[2])
			out[#out + 1] = cjson.encode(m[1]) .. ':' .. v
		end
	end
	return '{' .. table.concat(out, ',') .. '}'
end

-- followUps as JSON text: [{"type":...,"commandId":...}, ...]
local function json_followups(list)
	local out = {}
	for i, f in ipairs(list) do
		out[i] = json_object({ { 'type', f.type }, { 'commandId', f.commandId } })
	end
	return '[' .. table.concat(out, ',') .. ']'
end

-- An integer (a Lua number, exact below 2^53) as JSON text: cjson would
-- write 14 significant digits ("1e+15").
local function int_text(n)
	return string.format('%.0f', n)
end

-- items as stored in the hash: [{"productId","variantId","quantity",
-- "name","unitPrice","total"}...] in this member order, the last three
-- only when given (validated before).
local function encode_items(items)
	local out = {}
	for i, it in ipairs(items) do
		out[i] = json_object({ { 'productId', it.productId },
		    { 'variantId', it.variantId },
		    { 'quantity', it.quantity and int_text(it.quantity), true },
		    { 'name', it.name },
		    { 'unitPrice', it.unitPrice and int_text(it.unitPrice), true },
		    { 'total', it.total and int_text(it.total), true } })
	end
	return '[' .. table.concat(out, ',') .. ']'
end

local ADDRESS_FIELDS = { 'name', 'line1', 'line2', 'city', 'region',
    'postalCode', 'country', 'phone' }

-- An address as stored: its members in the order of docs/api.md.
local function encode_address(a)
	local m = {}
	for i, f in ipairs(ADDRESS_FIELDS) do
		m[i] = { f, a[f] }
	end
	return json_object(m)
end

-- Metadata as stored: the keys sorted, so equal maps are equal text.
local function encode_metadata(md)
	local names, m = {}, {}
	for k in pairs(md) do
		names[#names + 1] = k
	end
	table.sort(names)
	for i, k in ipairs(names) do
		m[i] = { k, md[k] }
	end
	return json_object(m), #names
end

-- The metadata text of an order patched with patch (a null value, decoded
-- as cjson.null, removes the key). Returns the new text (nil when no key
-- is left) and the number of keys.
local function patch_metadata(text, patch)
	local md = (text and decode(text)) or {}
	if type(md) ~= 'table' then
		md = {}
	end
	for k, v in pairs(patch) do
		if v == cjson.null then
			md[k] = nil
		else
			md[k] = v
		end
	end
	local out, n = encode_metadata(md)
	if n == 0 then
		return nil, 0
	end
	return out, n
end

-- Flat HGETALL / stream-entry reply -> table.
local function pairs_to_table(flat)
	local t = {}
	for i = 1, #flat, 2 do
		t[flat[i]] = flat[i + 1]
	end
	return t
end

------------------------------------------------------------------------
-- Phase 1: validation. Each data validator returns nil or a message.
------------------------------------------------------------------------

local function check_ids(data, names, optional)
	for _, name in ipairs(names) do
		local v = data[name]
		if v == nil then
			if not optional then
				return 'data.' .. name .. ' is required'
			end
		elseif not is_id(v) then
			return 'data.' .. name .. ' must be an id (1..64 of [A-Za-z0-9_.:-])'
		end
	end
	return nil
end

-- Money, addresses and metadata of a create (lib/order_extra.c checked
-- them, lib/money.c computed the totals; this is the Function's own guard).
-- 2^53 - 1: every amount is exact in a Lua number.
local MONEY_MAX = 9007199254740991

local function is_amount(v, max)
	return type(v) == 'number' and v == math.floor(v) and v >= 0 and
	    v <= (max or MONEY_MAX)
end

local function is_text(v, max_bytes)
	return type(v) == 'string' and #v >= 1 and #v <= max_bytes and
	    not v:find('[%z\1-\31\127]')
end

local function check_address(a, name)
	if not is_object(a) then
		return 'data.' .. name .. ' must be an object'
	end
	for k in pairs(a) do
		local known = false
		for _, f in ipairs(ADDRESS_FIELDS) do
			known = known or f == k
		end
		if not known then
			return 'data.' .. name .. '.' .. tostring(k) .. ' is not a known field'
		end
	end
	for _, f in ipairs({ 'name', 'line1', 'city', 'postalCode' }) do
		if not is_text(a[f], 800) then
			return 'data.' .. name .. '.' .. f .. ' must be text'
		end
	end
	for _, f in ipairs({ 'line2', 'region', 'phone' }) do
		if a[f] ~= nil and not is_text(a[f], 800) then
			return 'data.' .. name .. '.' .. f .. ' must be text'
		end
	end
	if type(a.country) ~= 'string' or not a.country:find('^[A-Z][A-Z]$') then
		return 'data.' .. name .. '.country must be an ISO 3166-1 alpha-2 code'
	end
	return nil
end

-- patch: null values allowed (they remove a key).
local function check_metadata(md, patch)
	if not is_object(md) then
		return 'data.metadata must be an object'
	end
	local n = 0
	for k, v in pairs(md) do
		n = n + 1
		if type(k) ~= 'string' or #k > 40 or not k:find('^[A-Za-z0-9_.%-]+$') then
			return 'data.metadata keys must be 1..40 of [A-Za-z0-9_.-]'
		end
		if not ((patch and v == cjson.null) or (type(v) == 'string' and
		    #v <= 2000 and not v:find('[%z\1-\31\127]'))) then
			return 'data.metadata.' .. k .. ' must be text'
		end
	end
	if n > 20 then
		return 'data.metadata may have at most 20 keys'
	end
	return nil
end

local function check_money(d)
	local priced = d.currency ~= nil
	if priced and (type(d.currency) ~= 'string' or
	    not d.currency:find('^[A-Z][A-Z][A-Z]$')) then
		return 'data.currency must be an ISO 4217 code'
	end
	local sum = 0
	for i, it in ipairs(d.items) do
		local where = 'data.items[' .. (i - 1) .. ']'
		if it.name ~= nil and not is_text(it.name, 800) then
			return where .. '.name must be text'
		end
		if not priced then
			if it.unitPrice ~= nil or it.total ~= nil then
				return where .. ' has a price but the order no currency'
			end
		elseif not is_amount(it.unitPrice, 1000000000000) or
		    not is_amount(it.total) or it.total ~= it.unitPrice * it.quantity then
			return where .. ' needs a unitPrice 0..10^12 and total = unitPrice x quantity'
		else
			sum = sum + it.total
		end
	end
	local names = { 'subtotal', 'shippingTotal', 'taxTotal', 'discountTotal', 'total' }
	for _, f in ipairs(names) do
		if not priced and d[f] ~= nil then
			return 'data.' .. f .. ' needs a currency'
		elseif priced and not is_amount(d[f]) then
			return 'data.' .. f .. ' must be an amount 0..2^53-1'
		end
	end
	if priced and (d.subtotal ~= sum or d.total ~= d.subtotal +
	    d.shippingTotal + d.taxTotal - d.discountTotal) then
		return 'data.subtotal and data.total must add up'
	end
	return nil
end

local function check_extras(d)
	local err = check_money(d)
	if err then
		return err
	end
	for _, f in ipairs({ 'shippingAddress', 'billingAddress' }) do
		if d[f] ~= nil then
			err = check_address(d[f], f)
			if err then
				return err
			end
		end
	end
	if d.email ~= nil and not is_text(d.email, 254) then
		return 'data.email must be text'
	end
	if d.metadata ~= nil then
		return check_metadata(d.metadata, false)
	end
	return nil
end

-- data.skipped = true: the worker's pre-check found the precondition gone
-- and did not call the provider (see docs/redis.md).
local function skipped(data)
	return data.skipped == true
end

-- data.reason: what the provider answered when it declined or refused (its
-- status and code: docs/providers.md), for the event's message.
local function reason_suffix(data)
	if type(data.reason) == 'string' and #data.reason > 0 then
		return ': ' .. data.reason:sub(1, 200)
	end
	return ''
end

local data_checks = {
	['orders.create'] = function(d)
		local err = check_ids(d, { 'customerId', 'paymentMethodId' }) or
		    check_ids(d, { 'storeId' }, true)
		if err then
			return err
		end
		if not is_array(d.items) or #d.items > 100 then
			return 'data.items must be an array of 1..100 items'
		end
		for i, it in ipairs(d.items) do
			if not is_object(it) or not is_id(it.productId) or
			    not is_id(it.variantId) or type(it.quantity) ~= 'number' or
			    it.quantity ~= math.floor(it.quantity) or
			    it.quantity < 1 or it.quantity > 10000 then
				return 'data.items[' .. (i - 1) .. '] needs productId, ' ..
				    'variantId and an integer quantity 1..10000'
			end
		end
		return check_extras(d)
	end,
	['orders.process.payment'] = function(d)
		if skipped(d) then
			return nil
		end
		if d.result == 'success' then
			return check_ids(d, { 'transactionId' })
		elseif d.result == 'declined' then
			return check_ids(d, { 'transactionId' }, true)
		end
		return 'data.result must be "success" or "declined"'
	end,
	['orders.ship'] = function(d)
		if skipped(d) then
			return nil
		end
		-- shipmentId: the shipping provider's id of the booking (to void
		-- it when a cancel was accepted meanwhile)
		return check_ids(d, { 'shipCompanyId', 'trackingNumber' }) or
		    check_ids(d, { 'shipmentId' }, true)
	end,
	['orders.void'] = function(d)
		if skipped(d) then
			return nil
		end
		return check_ids(d, { 'shipmentId' })
	end,
	['orders.update'] = function(d)
		local err = check_ids(d, { 'shipCompanyId', 'trackingNumber' }, true)
		if err then
			return err
		end
		if d.metadata ~= nil then
			return check_metadata(d.metadata, true)
		end
		if d.shipCompanyId == nil and d.trackingNumber == nil then
			return 'data must set shipCompanyId, trackingNumber or metadata'
		end
		return nil
	end,
	['orders.cancel'] = function() return nil end,
	['orders.delete'] = function() return nil end,
	['orders.delivered'] = function(d)
		return check_ids(d, { 'trackingId', 'confirmationId' })
	end,
	['orders.refund'] = function(d)
		if skipped(d) then
			return nil
		end
		return check_ids(d, { 'refundTransactionId' })
	end,
}

local ROLES = { customer = true, shipper = true, admin = true, system = true }

-- Returns ctx (the parsed call) or an error reply.
local function parse_call(keys, args)
	if #keys ~= 10 and #keys ~= 8 then
		return nil, einval('oms_apply takes 10 keys (or 8), got ' .. #keys)
	end
	-- A worker from before order numbers passes 8 keys: during a rolling
	-- upgrade its creates are numbered too, with the same two keys (oms
	-- runs on one Redis, not a cluster, so naming them here is safe).
	keys[9] = keys[9] or 'oms:seq:order'
	keys[10] = keys[10] or 'oms:ordernumber'
	if #args ~= 10 then
		return nil, einval('oms_apply takes 10 arguments, got ' .. #args)
	end
	local ctx = {
		type = args[1], commandId = args[2], orderId = args[3],
		at = args[4], createdAtMs = args[7], createdAt = args[8],
	}
	if data_checks[ctx.type] == nil then
		return nil, einval('unknown command type "' .. ctx.type .. '"')
	end
	if not is_id(ctx.commandId) then
		return nil, einval('commandId must be an id')
	end
	-- ':' separates key parts: an orderId "<id>:events" would name
	-- another order's stream (a WRONGTYPE on every try).
	if not is_id(ctx.orderId) or ctx.orderId:find(':', 1, true) then
		return nil, einval('orderId must be an id without ":"')
	end
	if not is_time(ctx.at) then
		return nil, einval('at must be an RFC 3339 UTC time with ms')
	end

	local actor = decode(args[5])
	if not is_object(actor) or not ROLES[actor.role] then
		return nil, einval('actor must be {"role":"customer|shipper|admin|system"}')
	end
	if actor.role == 'customer' and not is_id(actor.customerId) then
		return nil, einval('a customer actor needs a customerId')
	end
	ctx.actor = json_object({ { 'role', actor.role },
	    { 'customerId', actor.role == 'customer' and actor.customerId or nil } })
	ctx.actorToken = actor.role == 'customer' and
	    actor.role .. ':' .. actor.customerId or actor.role

	ctx.data = decode(args[6])
	if not is_object(ctx.data) then
		return nil, einval('data must be a JSON object')
	end
	local err = data_checks[ctx.type](ctx.data)
	if err then
		return nil, einval(err)
	end

	if ctx.type == 'orders.create' then
		if not is_uint(ctx.createdAtMs) then
			return nil, einval('createdAtMs must be Unix milliseconds')
		end
		if not is_time(ctx.createdAt) then
			return nil, einval('createdAt must be an RFC 3339 UTC time with ms')
		end
	end
	if not is_uint(args[9]) or tonumber(args[9]) < 1 then
		return nil, einval('the events cap must be a positive integer')
	end
	if not is_uint(args[10]) or tonumber(args[10]) < 1 then
		return nil, einval('the reply TTL must be a positive integer')
	end
	ctx.eventsCap, ctx.replyTtl = args[9], args[10]

	-- Every key is derived from the ids: a mismatch is a worker bug.
	local o = 'oms:order:' .. ctx.orderId
	local want = { o, o .. ':events', o .. ':applied',
	    'oms:pending:' .. ctx.orderId, 'oms:orders', nil, 'oms:events',
	    'oms:reply:' .. ctx.commandId, 'oms:seq:order', 'oms:ordernumber' }
	for i = 1, 10 do
		if want[i] ~= nil and keys[i] ~= want[i] then
			return nil, einval('KEYS[' .. i .. '] must be ' .. want[i])
		end
	end
	if ctx.type == 'orders.create' then
		local k = 'oms:customer:' .. ctx.data.customerId .. ':orders'
		if keys[6] ~= k then
			return nil, einval('KEYS[6] must be ' .. k)
		end
	else
		local cid = keys[6]:match('^oms:customer:(.+):orders$')
		if cid == nil or (cid ~= '-' and not is_id(cid)) then
			return nil, einval('KEYS[6] must be oms:customer:<customerId|->:orders')
		end
	end
	return ctx
end

------------------------------------------------------------------------
-- Phase 2: decisions. Each handler gets the call and the order (a table of
-- the hash, nil when there is none) and returns a plan:
--   outcome  'applied' | 'refused'
--   to       the status afterwards (default: unchanged)
--   message  human text (the reply's detail)
--   set      hash fields to write; del: hash fields to remove
--   new      true: the hash does not exist yet (version starts at 1)
--   bump     true: the order changed (version + 1, updatedAt)
--   followUps, index (ZADD both indexes), delPending (DEL KEYS[4])
------------------------------------------------------------------------

local function refuse(message)
	return { outcome = 'refused', message = message }
end

-- A refusal or no-op that the same command would get at any later time
-- too (the statuses it depends on never come back): it is answered but
-- not recorded, so that repeating it cannot grow the order's keys, and a
-- redelivery decides it again with the same outcome.
local function settled(plan)
	plan.settled = true
	return plan
end

local function followup(ctx, type, suffix)
	return { type = type, commandId = ctx.commandId .. suffix }
end

-- DESIGN §5: cancel "from created, paymentSuccess, paymentFailed"; an
-- order still waiting for its create (status pending) counts as created.
local CANCELLABLE = { created = true, pending = true, paymentSuccess = true,
    paymentFailed = true }

-- A placeholder: the hash an early update/cancel/delete writes when the
-- create has not been applied yet (awaitingCreate = "1"). Fields the API
-- shows are copied from oms-fcgi's pending record when there is one, so
-- the owner can read the order meanwhile; the create overwrites them.
local function placeholder(ctx, status, pending_text)
	local set = { awaitingCreate = '1', status = status }
	local p = pending_text and decode(pending_text)
	if is_object(p) then
		for _, f in ipairs({ 'customerId', 'paymentMethodId', 'storeId',
		    'createdAt' }) do
			if type(p[f]) == 'string' then
				set[f] = p[f]
			end
		end
		if is_array(p.items) then
			local ok, text = pcall(encode_items, p.items)
			if ok then
				set.items = text
			end
		end
	end
	return set
end

-- The order is not there (or only as a placeholder) for a command that
-- needs a created order.
local function missing(order)
	if order == nil then
		return refuse('unknown order')
	end
	if order.awaitingCreate == '1' then
		return refuse('the order has not been created yet')
	end
	return nil
end

local decide = {}

-- "orders.create | (none) | created; then publish orders.process.payment"
decide['orders.create'] = function(ctx, order)
	local d = ctx.data
	local set = {
		customerId = d.customerId, paymentMethodId = d.paymentMethodId,
		storeId = d.storeId, items = encode_items(d.items),
		createdAt = ctx.createdAt, currency = d.currency, email = d.email,
	}
	if d.currency ~= nil then
		for _, f in ipairs({ 'subtotal', 'shippingTotal', 'taxTotal',
		    'discountTotal', 'total' }) do
			set[f] = int_text(d[f])
		end
	end
	for _, f in ipairs({ 'shippingAddress', 'billingAddress' }) do
		if d[f] ~= nil then
			set[f] = encode_address(d[f])
		end
	end
	if d.metadata ~= nil then
		local text, n = encode_metadata(d.metadata)
		if n > 0 then
			set.metadata = text
		end
	end
	-- number: write_plan draws the order number (INCR KEYS[9])
	local plan = { outcome = 'applied', set = set, index = true,
	    delPending = true, bump = true, followUps = {}, number = true }
	if order == nil then
		set.status, set.isDeleted = 'created', '0'
		plan.new, plan.to = true, 'created'
		plan.message = 'order created'
	elseif order.awaitingCreate == '1' then
		-- An early command came first: keep its status and isDeleted;
		-- the create's fields replace those copied from the pending record.
		plan.del = { 'awaitingCreate' }
		if d.storeId == nil then
			plan.del[2] = 'storeId'
		end
		if order.metadata ~= nil then
			-- an early admin update's keys win over the create's
			set.metadata = patch_metadata(set.metadata,
			    decode(order.metadata) or {})
		end
		if order.status == 'pending' then
			set.status, plan.to = 'created', 'created'
			plan.message = 'order created (shipping fields from an earlier update kept)'
		else
			-- "a canceled order is never paid": no payment follow-up
			plan.message = 'order created; it was already ' ..
			    order.status .. ', so it will not be paid'
			return plan
		end
	else
		return refuse('the order already exists')
	end
	plan.followUps = { followup(ctx, 'orders.process.payment', '.pay') }
	return plan
end

-- "orders.process.payment | created | paymentSuccess (+ transaction id, then
-- orders.ship) or paymentFailed"; "a payment that completes after a cancel
-- is refunded, never shipped".
decide['orders.process.payment'] = function(ctx, order)
	local d = ctx.data
	local m = missing(order)
	if m then
		return m
	end
	if skipped(d) then
		return refuse('payment skipped: the order is ' .. order.status)
	end
	if order.status == 'created' then
		if d.result == 'success' then
			return { outcome = 'applied', to = 'paymentSuccess', bump = true,
			    set = { status = 'paymentSuccess',
			    paymentTransactionId = d.transactionId },
			    followUps = { followup(ctx, 'orders.ship', '.ship') },
			    message = 'payment succeeded' }
		end
		return { outcome = 'applied', to = 'paymentFailed', bump = true,
		    set = { status = 'paymentFailed' },
		    message = 'payment declined' .. reason_suffix(d) }
	end
	if order.status == 'canceled' and d.result == 'success' then
		if order.paymentTransactionId ~= nil then
			return refuse('the order already has a payment')
		end
		return { outcome = 'applied', bump = true,
		    set = { paymentTransactionId = d.transactionId },
		    followUps = { followup(ctx, 'orders.refund', '.refund') },
		    message = 'payment completed after the cancel: it is refunded, never shipped' }
	end
	if order.status == 'canceled' then
		return refuse('the order is canceled; the declined payment changes nothing')
	end
	return refuse('an order that is ' .. order.status .. ' cannot be paid')
end

-- "orders.ship | paymentSuccess | shipped (+ carrier, tracking number)".
-- Cancel wins exactly (docs/flow.md): an order whose cancel oms-fcgi
-- accepted (cancelRequestedAt, set by oms_request_cancel) is not shipped,
-- whether the worker skipped the provider or the provider booked a shipment
-- meanwhile: the ship step cancels it itself, refunds it, and voids a
-- shipment that was booked (orders.void). The later orders.cancel is then a
-- no-op.
local function ship_void(ctx, set, followUps)
	if ctx.data.shipmentId ~= nil then
		set.voidShipmentId = ctx.data.shipmentId
		followUps[#followUps + 1] = followup(ctx, 'orders.void', '.void')
		return true
	end
	return false
end

decide['orders.ship'] = function(ctx, order)
	local m = missing(order)
	if m then
		return m
	end
	if order.status == 'paymentSuccess' and order.cancelRequestedAt ~= nil then
		local set, f = { status = 'canceled' },
		    { followup(ctx, 'orders.refund', '.refund') }
		local voided = ship_void(ctx, set, f)
		return { outcome = 'canceled', to = 'canceled', bump = true,
		    set = set, followUps = f,
		    message = 'cancel requested before shipping: order canceled, ' ..
		    'the payment is refunded' .. (voided and
		    ', the booked shipment is voided' or '') }
	end
	if order.status == 'canceled' and order.voidShipmentId == nil then
		-- canceled while the provider booked: the booking must not go
		local set, f = {}, {}
		if ship_void(ctx, set, f) then
			return { outcome = 'canceled', bump = true, set = set,
			    followUps = f, message = 'the order was canceled ' ..
			    'while the shipment was booked: it is voided' }
		end
	end
	if order.status ~= 'paymentSuccess' then
		return refuse('an order that is ' .. order.status .. ' cannot be shipped')
	end
	if skipped(ctx.data) then
		return refuse('shipping skipped by the worker' .. reason_suffix(ctx.data))
	end
	-- trackingNumber is the carrier's own value from here on, which
	-- delivered is checked against: shipping fields are frozen once
	-- shipped (orders shipped before issue 17 also hold it as
	-- carrierTrackingNumber, which delivered reads first).
	return { outcome = 'applied', to = 'shipped', bump = true,
	    set = { status = 'shipped', shipCompanyId = ctx.data.shipCompanyId,
	    trackingNumber = ctx.data.trackingNumber,
	    shipmentId = ctx.data.shipmentId },
	    message = 'order shipped' }
end

-- "orders.void | voidShipmentId set, not voided | shipmentVoidedAt": the
-- shipping provider voided the shipment the ship step booked for an order
-- canceled meanwhile.
decide['orders.void'] = function(ctx, order)
	local m = missing(order)
	if m then
		return m
	end
	if order.voidShipmentId == nil then
		return settled(refuse('the order has no shipment to void'))
	end
	if order.shipmentVoidedAt ~= nil then
		return settled({ outcome = 'applied',
		    message = 'the shipment is already voided' })
	end
	if skipped(ctx.data) then
		return refuse('void skipped by the worker' .. reason_suffix(ctx.data))
	end
	if ctx.data.shipmentId ~= order.voidShipmentId then
		return settled(refuse('data.shipmentId is not the shipment to void'))
	end
	return { outcome = 'applied', bump = true,
	    set = { shipmentVoidedAt = ctx.at },
	    message = 'the booked shipment ' .. order.voidShipmentId .. ' is voided' }
end

-- "orders.update | not delivered/canceled | shipping fields"
decide['orders.update'] = function(ctx, order, pending_text)
	local set = { shipCompanyId = ctx.data.shipCompanyId,
	    trackingNumber = ctx.data.trackingNumber }
	local shipping, del = set.shipCompanyId ~= nil or set.trackingNumber ~= nil, nil
	if ctx.data.metadata ~= nil then
		local text, n = patch_metadata(order and order.metadata,
		    ctx.data.metadata)
		if n > 20 then
			return refuse('metadata would have more than 20 keys')
		end
		set.metadata = text
		if text == nil and order and order.metadata then
			del = { 'metadata' }
		end
	end
	if order == nil then
		-- Early update: a placeholder in status pending keeps the fields.
		for k, v in pairs(placeholder(ctx, 'pending', pending_text)) do
			set[k] = v
		end
		set.isDeleted = '0'
		return { outcome = 'applied', new = true, bump = true, to = 'pending',
		    set = set,
		    message = 'shipping fields stored before the create arrived' }
	end
	-- metadata alone may change in every status (docs/api.md)
	if shipping and (order.status == 'delivered' or order.status == 'canceled') then
		return settled(refuse('an order that is ' .. order.status ..
		    ' cannot be updated'))
	end
	local same = del == nil
	for k, v in pairs(set) do
		if order[k] ~= v then
			same = false
		end
	end
	-- Once shipped the carrier's fields are frozen (issue 14): a change
	-- is refused, and shipped never comes back, so neither is recorded.
	-- Metadata still changes.
	if order.status == 'shipped' then
		if (set.shipCompanyId ~= nil and order.shipCompanyId ~= set.shipCompanyId) or
		    (set.trackingNumber ~= nil and order.trackingNumber ~= set.trackingNumber) then
			return settled(refuse('the order is shipped: shipCompanyId and ' ..
			    'trackingNumber are the carrier\'s and no longer change'))
		end
		if same then
			return settled({ outcome = 'applied',
			    message = 'the fields already have these values' })
		end
	end
	if same then
		-- Recorded (unless the order is shipped, see item 4): a later
		-- update may change the fields, and a redelivery of this one
		-- must not undo it.
		return { outcome = 'applied',
		    message = 'the fields already have these values' }
	end
	return { outcome = 'applied', bump = true, set = set, del = del,
	    message = shipping and 'shipping fields updated' or 'metadata updated' }
end

-- The cancel part of cancel and delete. Returns the fields and follow-ups,
-- or nil when the status does not allow a cancel.
local function cancel_effect(ctx, order)
	if not CANCELLABLE[order.status] then
		return nil
	end
	local f = {}
	-- "from paymentSuccess also orders.refund"
	if order.status == 'paymentSuccess' then
		f = { followup(ctx, 'orders.refund', '.refund') }
	end
	return { status = 'canceled' }, f
end

-- "orders.cancel | created, paymentSuccess, paymentFailed | canceled"
decide['orders.cancel'] = function(ctx, order, pending_text)
	if order == nil then
		-- Early cancel: "cancel wins" even over a create still queued.
		local set = placeholder(ctx, 'canceled', pending_text)
		set.isDeleted = '0'
		return { outcome = 'applied', new = true, bump = true, to = 'canceled',
		    set = set, message = 'order canceled before its create arrived' }
	end
	local set, f = cancel_effect(ctx, order)
	if set == nil then
		-- canceled, shipped and delivered never become cancellable
		if order.status == 'canceled' and order.cancelRequestedAt ~= nil then
			-- the cancel oms-fcgi accepted, done by the ship step: a
			-- recorded no-op (one per accepted cancel: oms-fcgi
			-- publishes none once the order is canceled)
			return { outcome = 'noop', message = 'the order is ' ..
			    'already canceled (cancel requested before shipping)' }
		end
		if order.status == 'canceled' then
			return settled(refuse('the order is already canceled'))
		end
		return settled(refuse('an order that is ' .. order.status ..
		    ' cannot be canceled'))
	end
	return { outcome = 'applied', to = 'canceled', bump = true, set = set,
	    followUps = f, message = #f > 0 and
	    'order canceled; the payment is refunded' or 'order canceled' }
end

-- "orders.delete | any | isDeleted; plus cancel where allowed"
decide['orders.delete'] = function(ctx, order, pending_text)
	if order == nil then
		local set = placeholder(ctx, 'canceled', pending_text)
		set.isDeleted = '1'
		return { outcome = 'applied', new = true, bump = true, to = 'canceled',
		    set = set, message = 'order deleted and canceled before its create arrived' }
	end
	if order.isDeleted == '1' then
		return settled({ outcome = 'applied',
		    message = 'the order was already deleted' })
	end
	local set, f = cancel_effect(ctx, order)
	local plan = { outcome = 'applied', bump = true, followUps = f,
	    set = set or {}, message = 'order deleted' }
	plan.set.isDeleted = '1'
	if set ~= nil then
		plan.to = 'canceled'
		plan.message = #f > 0 and 'order deleted and canceled; the payment is refunded'
		    or 'order deleted and canceled'
	end
	return plan
end

-- "orders.delivered | shipped, tracking id matches | delivered (+ confirmation id)"
decide['orders.delivered'] = function(ctx, order)
	local m = missing(order)
	if m then
		return m
	end
	if order.status ~= 'shipped' then
		local r = refuse('an order that is ' .. order.status ..
		    ' cannot be delivered')
		-- these never become shipped
		if order.status == 'delivered' or order.status == 'canceled' or
		    order.status == 'paymentFailed' then
			return settled(r)
		end
		return r
	end
	-- The carrier's value (orders shipped before it was kept: the
	-- tracking number, frozen since shipping).
	if (order.carrierTrackingNumber or order.trackingNumber) ~=
	    ctx.data.trackingId then
		-- both are frozen while shipped: the same refusal for ever
		return settled(refuse('trackingId does not match the carrier\'s ' ..
		    'tracking number'))
	end
	return { outcome = 'applied', to = 'delivered', bump = true,
	    set = { status = 'delivered', confirmationId = ctx.data.confirmationId },
	    message = 'order delivered' }
end

-- "orders.refund | canceled with a payment | refundTransactionId"
decide['orders.refund'] = function(ctx, order)
	local m = missing(order)
	if m then
		return m
	end
	if order.status ~= 'canceled' then
		return refuse('an order that is ' .. order.status .. ' is not refunded')
	end
	if order.paymentTransactionId == nil then
		return refuse('the order has no payment to refund')
	end
	if order.refundTransactionId ~= nil then
		return refuse('the payment is already refunded')
	end
	if skipped(ctx.data) then
		return refuse('refund skipped by the worker' .. reason_suffix(ctx.data))
	end
	return { outcome = 'applied', bump = true,
	    set = { refundTransactionId = ctx.data.refundTransactionId },
	    message = 'payment refunded' }
end

------------------------------------------------------------------------
-- The order's history (docs/redis.md "The history"). Each recorded call is
-- one field of the order's own hash, "~<n>" (n = 1, 2, ... in order),
-- holding one line of space-separated tokens:
--
--   <at> <type> <outcome> [<from>>]<to> <actor> <commandId>
--        [v=<version>] [fu=<follow-ups>] [ch=<changed fields>] [| <message>]
--
-- Whatever can be derived is left out, so that a shipped order's history
-- costs about 250 bytes instead of 3 KB of streams and sets (issue 17):
--   at         absolute for the first event, "+<ms>" after the previous one
--   type       without "orders."
--   from       the previous event's to ("none" first), else "<from>>"
--   commandId  "^<suffix>" for the previous event's commandId + suffix
--              (".pay", ".ship", ".refund", ".void": a follow-up),
--              "^<k><suffix>" for event k's
--   version    the previous version, + 1 when the event changed fields
--   fu=        the follow-ups as suffixes of the commandId (".pay,.void")
--   ch=        the changed fields when they are not the type's usual ones
--              ("-": none); their values are read from the order (status
--              from `to`, isDeleted from the type) except where they may
--              change later: those are in "~<n>.changes" (JSON)
--   message    when it is not the usual one for its type and outcome
-- The applied commandIds are the events' commandIds (exactly-once).
-- Orders from before this layout keep the stream <order>:events and the
-- set <order>:applied until their next recorded command folds them in
-- (write_plan), and so does an order without a hash (a refusal of a
-- command for an unknown order), whose events have no hash to go into.
------------------------------------------------------------------------

local EV = '~'

local FOLLOWUP_SUFFIX = { ['.pay'] = 'orders.process.payment',
    ['.ship'] = 'orders.ship', ['.refund'] = 'orders.refund',
    ['.void'] = 'orders.void' }

-- Hash fields held as JSON text, and as decimal integers: both go into
-- an event's changes and oms_get's reply as JSON values.
local JSON_FIELDS = { items = true, shippingAddress = true,
    billingAddress = true, metadata = true }
local INT_FIELDS = { orderNumber = true, subtotal = true, shippingTotal = true,
    taxTotal = true, discountTotal = true, total = true }

-- A changed value v of field n as the Function stores it in an event (the
-- text that compares equal with what the order holds).
local function encode_change(n, v)
	if v == cjson.null then
		return 'null'
	elseif INT_FIELDS[n] and type(v) == 'number' then
		return int_text(v)
	elseif n == 'items' and type(v) == 'table' then
		return encode_items(v)
	elseif n == 'metadata' and type(v) == 'table' then
		return encode_metadata(v)
	elseif (n == 'shippingAddress' or n == 'billingAddress') and
	    type(v) == 'table' then
		return encode_address(v)
	end
	return cjson.encode(v)
end

-- Types whose written values never change afterwards (but metadata,
-- which an update changes): an event of one of these reads them from the
-- order. Updates, cancels and deletes (and the placeholders they write)
-- keep their values in "~<n>.changes".
local FROZEN_BY = { ['orders.create'] = true, ['orders.process.payment'] = true,
    ['orders.ship'] = true, ['orders.delivered'] = true,
    ['orders.refund'] = true, ['orders.void'] = true }
local CREATE_FIELDS = { 'customerId', 'paymentMethodId', 'storeId', 'items',
    'createdAt', 'currency', 'email', 'subtotal', 'shippingTotal', 'taxTotal',
    'discountTotal', 'total', 'shippingAddress', 'billingAddress', 'orderNumber' }

local DEFAULT_MESSAGE = {
	['orders.create applied created'] = 'order created',
	['orders.process.payment applied paymentSuccess'] = 'payment succeeded',
	['orders.ship applied shipped'] = 'order shipped',
	['orders.delivered applied delivered'] = 'order delivered',
	['orders.refund applied canceled'] = 'payment refunded',
	['orders.cancel applied canceled'] = 'order canceled',
}

-- "2026-01-01T00:00:00.000Z" <-> Unix ms (days from the civil date, H.
-- Hinnant's algorithm; Redis' Lua has no os.time). Lua numbers are exact
-- far beyond these values.
local function time_ms(s)
	local y, mo, d, h, mi, se, ms = s:match(
	    '^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.(%d%d%d)Z$')
	if y == nil then
		return nil
	end
	y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
	if mo <= 2 then
		y = y - 1
	end
	local era = math.floor(y / 400)
	local yoe = y - era * 400
	local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
	local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
	local days = era * 146097 + doe - 719468
	return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 +
	    tonumber(se) * 1000 + tonumber(ms)
end

local function ms_time(t)
	local days = math.floor(t / 86400000)
	local rest = t - days * 86400000
	local z = days + 719468
	local era = math.floor(z / 146097)
	local doe = z - era * 146097
	local yoe = math.floor((doe - math.floor(doe / 1460) +
	    math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
	local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
	local mp = math.floor((5 * doy + 2) / 153)
	local d = doy - math.floor((153 * mp + 2) / 5) + 1
	local m = mp < 10 and mp + 3 or mp - 9
	local y = yoe + era * 400 + (m <= 2 and 1 or 0)
	return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
	    math.floor(rest / 3600000), math.floor(rest / 60000) % 60,
	    math.floor(rest / 1000) % 60, rest % 1000)
end

-- The actor as a token ("system", "customer:cus_1") and back to JSON.
local function actor_token(text)
	local a = decode(text)
	if is_object(a) and type(a.role) == 'string' and a.role:find('^%a+$') then
		if a.customerId == nil then
			return a.role
		elseif is_id(a.customerId) then
			return a.role .. ':' .. a.customerId
		end
	end
	return 'system'
end

local function actor_json(tok)
	local role, cid = tok:match('^(%a+):(.+)$')
	return json_object({ { 'role', role or tok }, { 'customerId', cid } })
end

-- The value of a changed field that the event can take from the order
-- (or from itself), as JSON text; nil when it must be stored.
local function derived_value(name, ev, hash)
	if name == 'status' then
		return cjson.encode(ev.to)
	elseif name == 'isDeleted' then
		return cjson.encode(ev.type == 'orders.delete' and '1' or '0')
	end
	if not FROZEN_BY[ev.type] or name == 'metadata' or
	    ((name == 'shipCompanyId' or name == 'trackingNumber') and
	    ev.type ~= 'orders.ship') then
		return nil
	end
	local v = hash[name]
	if v == nil then
		-- removed, and nothing sets it again (a create over a
		-- placeholder removes its storeId)
		return 'null'
	elseif JSON_FIELDS[name] or INT_FIELDS[name] then
		return v
	end
	return cjson.encode(v)
end

-- The usual changed fields of an event (sorted), or nil when its type has
-- none. explicit: the names stored in "~<n>.changes" (a create's metadata).
local function usual_changes(ev, hash, explicit)
	local names = {}
	local function add(n, cond)
		if cond then
			names[#names + 1] = n
		end
	end
	if ev.type == 'orders.create' and ev.from == STATUS_NONE then
		for _, f in ipairs(CREATE_FIELDS) do
			add(f, hash[f] ~= nil)
		end
		add('isDeleted', true)
		add('metadata', explicit.metadata ~= nil)
		add('status', true)
	elseif ev.outcome ~= 'applied' then
		return nil
	elseif ev.type == 'orders.process.payment' and ev.to == 'paymentSuccess' then
		names = { 'paymentTransactionId', 'status' }
	elseif ev.type == 'orders.ship' then
		add('shipCompanyId', true)
		add('shipmentId', hash.shipmentId ~= nil)
		add('status', true)
		add('trackingNumber', true)
	elseif ev.type == 'orders.delivered' then
		names = { 'confirmationId', 'status' }
	elseif ev.type == 'orders.refund' then
		names = { 'refundTransactionId' }
	else
		return nil
	end
	table.sort(names)
	return names
end

-- Whether usual_changes(ev) is a non-empty list (without building it).
local function usual_nonempty(ev)
	if ev.type == 'orders.create' and ev.from == STATUS_NONE then
		return true
	elseif ev.outcome ~= 'applied' then
		return false
	end
	return (ev.type == 'orders.process.payment' and ev.to == 'paymentSuccess') or
	    ev.type == 'orders.ship' or ev.type == 'orders.delivered' or
	    ev.type == 'orders.refund'
end

-- The event's time in Unix ms, or nil when its text does not convert both
-- ways (then the next event's time is written whole). Memoized.
local function at_ms(ev)
	if ev.atMs == nil then
		local ms = ev.at and time_ms(ev.at)
		ev.atMs = (ms ~= nil and ms_time(ms) == ev.at) and ms or false
	end
	return ev.atMs or nil
end

local function same_list(a, b)
	if a == nil or b == nil or #a ~= #b then
		return false
	end
	for i = 1, #a do
		if a[i] ~= b[i] then
			return false
		end
	end
	return true
end

-- One event as its line (and the JSON of the values that must be kept, or
-- nil). ev: { at, type, outcome, from, to, actor (JSON text), commandId,
-- version, followUps = {{type, commandId}...}, message, changes = sorted
-- {{name, JSON text}...} or nil }. events: the order's events before it
-- (decoded); hash: the order's fields after the write. feed: the global
-- feed's self-contained form (absolute time and ids, no changes).
local function ev_encode(ev, events, hash, feed)
	local prev = (not feed) and events[#events] or nil
	local t = {}
	local at = ev.at
	local a, b = prev and at_ms(prev), (not feed) and at_ms(ev)
	if a and b then
		at = (b >= a and '+' or '') .. int_text(b - a)
	end
	t[1] = at
	t[2] = ev.type:match('^orders%.(.+)$') or ev.type
	t[3] = ev.outcome
	t[4] = ev.from == (prev and prev.to or STATUS_NONE) and ev.to or
	    (ev.from .. '>' .. ev.to)
	t[5] = ev.actorToken or actor_token(ev.actor)
	local cid = ev.commandId
	for j = feed and 0 or #events, 1, -1 do
		local p = events[j].commandId
		if #cid > #p and cid:sub(1, #p) == p and FOLLOWUP_SUFFIX[cid:sub(#p + 1)] then
			cid = '^' .. (j == #events and '' or tostring(j)) .. cid:sub(#p + 1)
			break
		end
	end
	t[6] = cid
	local names, explicit, nexplicit = {}, {}, 0
	for i, c in ipairs(ev.changes or {}) do
		names[i] = c[1]
		if feed or derived_value(c[1], ev, hash) ~= c[2] then
			explicit[c[1]], nexplicit = c[2], nexplicit + 1
		end
	end
	local derived_version = (prev and prev.version or 0) + (#names > 0 and 1 or 0)
	if feed or ev.version ~= derived_version then
		t[#t + 1] = 'v=' .. int_text(ev.version)
	end
	if #ev.followUps > 0 then
		local fu = {}
		for i, f in ipairs(ev.followUps) do
			local s = f.commandId:sub(#ev.commandId + 1)
			if f.commandId:sub(1, #ev.commandId) == ev.commandId and
			    FOLLOWUP_SUFFIX[s] == f.type then
				fu[i] = s
			else
				fu[i] = f.type .. '=' .. f.commandId
			end
		end
		t[#t + 1] = 'fu=' .. table.concat(fu, ',')
	end
	if not feed then
		local usual = usual_changes(ev, hash, explicit)
		if #names == 0 and usual ~= nil then
			t[#t + 1] = 'ch=-'
		elseif #names > 0 and not same_list(names, usual) then
			t[#t + 1] = 'ch=' .. table.concat(names, ',')
		end
	end
	local line = table.concat(t, ' ')
	if feed or ev.message ~= DEFAULT_MESSAGE[ev.type .. ' ' .. ev.outcome .. ' ' .. ev.to] then
		line = line .. ' | ' .. ev.message
	end
	if nexplicit == 0 or feed then
		return line, nil
	end
	local m = {}
	for _, n in ipairs(names) do
		if explicit[n] ~= nil then
			m[#m + 1] = { n, explicit[n], true }
		end
	end
	return line, json_object(m)
end

-- The event of line (and its "~<n>.changes" text, or nil) after the
-- decoded events; hash: the order's fields. nil when the line is not one.
-- full: also the actor as JSON and the changed values (what the API
-- shows; oms_apply needs neither for the events it only reads).
local function ev_decode(line, explicit_text, events, hash, full)
	local head, message = line, nil
	local p = line:find(' | ', 1, true)
	if p then
		head, message = line:sub(1, p - 1), line:sub(p + 3)
	end
	local tok = {}
	for w in head:gmatch('%S+') do
		tok[#tok + 1] = w
	end
	if #tok < 6 then
		return nil
	end
	local prev = events[#events]
	local ev = { type = 'orders.' .. tok[2], outcome = tok[3],
	    actorToken = tok[5], followUps = {} }
	if full then
		ev.actor = actor_json(tok[5])
	end
	if tok[1]:find('^[+-]%d+$') then
		local base = prev and at_ms(prev)
		if base == nil then
			return nil
		end
		-- the text only when shown: oms_apply needs the number
		ev.atMs = base + tonumber(tok[1])
		if full then
			ev.at = ms_time(ev.atMs)
		end
	else
		ev.at = tok[1]
	end
	ev.from, ev.to = tok[4]:match('^(.+)>(.+)$')
	if ev.from == nil then
		ev.from, ev.to = prev and prev.to or STATUS_NONE, tok[4]
	end
	local j, s = tok[6]:match('^%^(%d*)(.+)$')
	if j ~= nil then
		local parent = events[j == '' and #events or tonumber(j)]
		if parent == nil then
			return nil
		end
		ev.commandId = parent.commandId .. s
	else
		ev.commandId = tok[6]
	end
	local version, names = nil, nil
	for i = 7, #tok do
		local k, v = tok[i]:match('^(%a+)=(.*)$')
		if k == 'v' then
			version = tonumber(v)
		elseif k == 'fu' then
			for f in v:gmatch('[^,]+') do
				local ft, fc = f:match('^(.+)=(.+)$')
				if ft == nil then
					ft, fc = FOLLOWUP_SUFFIX[f], ev.commandId .. f
				end
				ev.followUps[#ev.followUps + 1] = { type = ft, commandId = fc }
			end
		elseif k == 'ch' then
			names = {}
			for n in v:gmatch('[^,]+') do
				if n ~= '-' then
					names[#names + 1] = n
				end
			end
		end
	end
	-- without full, only whether there are changes matters (the
	-- version): a create's explicit metadata adds to a list never empty
	local explicit = (full and explicit_text and decode(explicit_text)) or {}
	if not is_object(explicit) then
		explicit = {}
	end
	local nchanges
	if names == nil and not full then
		nchanges = usual_nonempty(ev) and 1 or 0
	else
		names = names or usual_changes(ev, hash, explicit) or {}
		nchanges = #names
	end
	if nchanges > 0 and full then
		ev.changes = {}
		for i, n in ipairs(names) do
			local v = explicit[n]
			if v == nil then
				v = derived_value(n, ev, hash) or 'null'
			else
				v = encode_change(n, v)
			end
			ev.changes[i] = { n, v }
		end
	end
	ev.version = version or (prev and prev.version or 0) + (nchanges > 0 and 1 or 0)
	ev.message = message or DEFAULT_MESSAGE[ev.type .. ' ' .. ev.outcome ..
	    ' ' .. ev.to] or ''
	return ev
end

-- An entry [id, [field, value...]] of the stream of an order from before
-- this layout, as an event (the changes' values encoded as the Function
-- encodes them, so that those the order holds compare equal).
local function legacy_event(e)
	local f = pairs_to_table(e[2])
	local d = f.detail and decode(f.detail)
	local ev = { at = f.at or '', type = f.type or '', commandId = f.commandId or '',
	    outcome = f.outcome or 'applied', from = f.from or STATUS_NONE,
	    to = f.to or STATUS_NONE, actor = f.actor or '{"role":"system"}',
	    version = tonumber(f.version) or 0, followUps = {} }
	ev.message = is_object(d) and d.message or f.detail or ''
	if type(ev.message) ~= 'string' then
		ev.message = ''
	end
	if is_object(d) and is_object(d.changes) then
		local names = {}
		for k in pairs(d.changes) do
			names[#names + 1] = k
		end
		table.sort(names)
		ev.changes = {}
		for i, n in ipairs(names) do
			ev.changes[i] = { n, encode_change(n, d.changes[n]) }
		end
		if #names == 0 then
			ev.changes = nil
		end
	end
	local fu = f.followUps and decode(f.followUps)
	if type(fu) == 'table' then
		for _, x in ipairs(fu) do
			if is_object(x) and type(x.type) == 'string' and
			    type(x.commandId) == 'string' then
				ev.followUps[#ev.followUps + 1] = { type = x.type,
				    commandId = x.commandId }
			end
		end
	end
	return ev
end

-- Every event of an order, oldest first: the old stream's (legacy_key,
-- read when it exists: a WRONGTYPE there is an error reply, never an empty
-- history), then the hash's. Returns the list and how many are old.
local function load_events(order, legacy_key, full)
	local events = {}
	if redis.call('EXISTS', legacy_key) == 1 then
		for _, e in ipairs(redis.call('XRANGE', legacy_key, '-', '+')) do
			events[#events + 1] = legacy_event(e)
		end
	end
	local nlegacy = #events
	local n = 1
	while order ~= nil and order[EV .. n] ~= nil do
		local ev = ev_decode(order[EV .. n], order[EV .. n .. '.changes'],
		    events, order, full)
		if ev == nil then
			error('ERR oms: unreadable event ' .. EV .. n)
		end
		events[#events + 1] = ev
		n = n + 1
	end
	return events, nlegacy
end

-- The event as the API shows it (GET /orders/{id}/events): id is its
-- number in the order's history.
local function ev_api(ev, n)
	local changes = nil
	if ev.changes then
		local m = {}
		for i, c in ipairs(ev.changes) do
			m[i] = { c[1], c[2], true }
		end
		changes = json_object(m)
	end
	return json_object({ { 'id', tostring(n) }, { 'type', ev.type },
	    { 'commandId', ev.commandId }, { 'outcome', ev.outcome },
	    { 'from', ev.from }, { 'to', ev.to }, { 'actor', ev.actor, true },
	    { 'at', ev.at },
	    { 'detail', json_object({ { 'message', ev.message },
	    { 'changes', changes, true } }), true },
	    { 'followUps', json_followups(ev.followUps), true },
	    { 'version', ev.version } })
end

------------------------------------------------------------------------
-- Phase 3: writes.
------------------------------------------------------------------------

local function result_json(ctx, outcome, from, to, message, version, fu_text, extra)
	local m = {
		{ 'outcome', outcome }, { 'type', ctx.type },
		{ 'commandId', ctx.commandId }, { 'orderId', ctx.orderId },
		{ 'from', from }, { 'to', to }, { 'detail', message },
		{ 'version', version }, { 'followUps', fu_text, true },
	}
	for _, e in ipairs(extra or {}) do
		m[#m + 1] = e
	end
	return json_object(m)
end

local function push_reply(keys, ctx, text)
	redis.call('LPUSH', keys[8], text)
	redis.call('EXPIRE', keys[8], ctx.replyTtl)
end

-- The hash fields the plan writes, sorted, as {name, JSON text} (null for
-- a removed one; items, the addresses and metadata as JSON, the order
-- number and the amounts as numbers), or nil when the order did not change.
local function plan_changes(plan)
	if not plan.bump then
		return nil
	end
	local names, removed = {}, {}
	for k in pairs(plan.set or {}) do
		names[#names + 1] = k
	end
	for _, k in ipairs(plan.del or {}) do
		names[#names + 1], removed[k] = k, true
	end
	table.sort(names)
	local c = {}
	for _, k in ipairs(names) do
		if k ~= 'awaitingCreate' then
			if removed[k] then
				c[#c + 1] = { k, 'null' }
			elseif JSON_FIELDS[k] or INT_FIELDS[k] then
				c[#c + 1] = { k, plan.set[k] }
			else
				c[#c + 1] = { k, cjson.encode(plan.set[k]) }
			end
		end
	end
	if #c == 0 then
		return nil
	end
	return c
end

-- HSET the events first..#events as ~<n> (and ~<n>.changes).
local function store_events(key, events, first, hash)
	local args = { key }
	for n = first, #events do
		local before = {}
		for i = 1, n - 1 do
			before[i] = events[i]
		end
		local line, explicit = ev_encode(events[n], before, hash)
		args[#args + 1], args[#args + 2] = EV .. n, line
		if explicit then
			args[#args + 1], args[#args + 2] = EV .. n .. '.changes', explicit
		end
	end
	redis.call('HSET', unpack(args))
end

-- The order-number index (issue 17): oms:ordernumber:<n div 100>, a hash
-- of 100 numbers -> ids, a listpack of 5.2 KB (52 bytes an order), where
-- one hash of every number (what oms:ordernumber was before, and still
-- holds for the numbers drawn then) is a hash table of 88 bytes an order. The
-- bucket is named from KEYS[10] (oms runs on one Redis, not a cluster).
local function number_key(base, n)
	return base .. ':' .. int_text(math.floor(n / 100))
end

local function write_plan(keys, ctx, order, plan, events, nlegacy)
	local from = order and order.status or STATUS_NONE
	local to = plan.to or from
	local version = tonumber(order and order.version or '0')

	if plan.unrecorded then
		local res = result_json(ctx, plan.outcome, from, to, plan.message,
		    version, '[]', { { 'recorded', false } })
		push_reply(keys, ctx, res)
		return res
	end

	if plan.number then
		-- the first write: INCR fails only on a corrupt counter, and
		-- then nothing has been written yet
		local n = redis.call('INCR', keys[9])
		plan.set.orderNumber = tostring(n)
		redis.call('HSET', number_key(keys[10], n), n, ctx.orderId)
	end
	-- after: the order's fields once written (what events read from it)
	local after = {}
	for k, v in pairs(order or {}) do
		after[k] = v
	end
	if plan.bump then
		local args = { keys[1] }
		if plan.new then
			for _, kv in ipairs({ { 'id', ctx.orderId }, { 'version', '0' } }) do
				args[#args + 1], args[#args + 2] = kv[1], kv[2]
			end
			after.id = ctx.orderId
		end
		for k, v in pairs(plan.set or {}) do
			args[#args + 1], args[#args + 2] = k, v
			after[k] = v
		end
		args[#args + 1], args[#args + 2] = 'updatedAt', ctx.at
		redis.call('HSET', unpack(args))
		if plan.del and #plan.del > 0 then
			redis.call('HDEL', keys[1], unpack(plan.del))
			for _, k in ipairs(plan.del) do
				after[k] = nil
			end
		end
		version = redis.call('HINCRBY', keys[1], 'version', 1)
	end
	if plan.index then
		redis.call('ZADD', keys[5], ctx.createdAtMs, ctx.orderId)
		redis.call('ZADD', keys[6], ctx.createdAtMs, ctx.orderId)
	end
	if plan.delPending then
		redis.call('DEL', keys[4])
	end

	local ev = { at = ctx.at, type = ctx.type, commandId = ctx.commandId,
	    outcome = plan.outcome, from = from, to = to, actor = ctx.actor,
	    actorToken = ctx.actorToken,
	    version = version, followUps = plan.followUps or {},
	    message = plan.message, changes = plan_changes(plan) }
	local fu = json_followups(ev.followUps)
	if order ~= nil or plan.new then
		-- into the order's hash, with the old stream's events first
		local first = #events + 1
		if nlegacy > 0 and nlegacy == #events then
			first = 1
		end
		events[#events + 1] = ev
		store_events(keys[1], events, first, after)
		if first == 1 and nlegacy > 0 then
			redis.call('DEL', keys[2], keys[3])
		end
	else
		-- no hash to hold it (a refusal for an unknown order): the
		-- stream and set of the old layout, folded in with the hash
		redis.call('XADD', keys[2], '*', 'type', ctx.type, 'commandId',
		    ctx.commandId, 'outcome', plan.outcome, 'from', from, 'to', to,
		    'actor', ctx.actor, 'at', ctx.at, 'detail',
		    json_object({ { 'message', plan.message } }), 'followUps', fu,
		    'version', tostring(version))
		redis.call('SADD', keys[3], ctx.commandId)
	end
	redis.call('XADD', keys[7], 'MAXLEN', '~', ctx.eventsCap, '*',
	    'orderId', ctx.orderId, 'event', (ev_encode(ev, {}, after, true)))

	local res = result_json(ctx, plan.outcome, from, to, plan.message, version, fu)
	push_reply(keys, ctx, res)
	return res
end

-- DESIGN §8: "application is exactly-once per commandId" and "its
-- re-application is a no-op that still publishes the follow-ups".
-- ev: the first call's event (nil when only the old applied set has it).
local function replay(keys, ctx, order, ev)
	ev = ev or { outcome = 'applied', from = STATUS_NONE, to = STATUS_NONE,
	    followUps = {}, type = ctx.type, message = 'already applied' }
	local version = tonumber(order and order.version or '0')
	local c = { type = ev.type or ctx.type, commandId = ctx.commandId,
	    orderId = ctx.orderId }
	local fu_text = json_followups(ev.followUps)
	-- The reply list carries the first outcome, so that a client waiting
	-- with Prefer: wait still sees applied or refused.
	push_reply(keys, ctx, result_json(c, ev.outcome, ev.from, ev.to,
	    ev.message, version, fu_text, { { 'duplicate', true } }))
	return result_json(c, 'duplicate', ev.from, ev.to, ev.message, version,
	    fu_text, { { 'firstOutcome', ev.outcome } })
end

local function load_order(key)
	local flat = redis.call('HGETALL', key)
	if #flat == 0 then
		return nil
	end
	return pairs_to_table(flat)
end

local function oms_apply(keys, args)
	local ctx, err = parse_call(keys, args)
	if ctx == nil then
		return err
	end
	local order = load_order(keys[1])
	local events, nlegacy = load_events(order, keys[2])
	for _, e in ipairs(events) do
		if e.commandId == ctx.commandId then -- applied before
			return replay(keys, ctx, order, e)
		end
	end
	if redis.call('SISMEMBER', keys[3], ctx.commandId) == 1 then
		return replay(keys, ctx, order, nil)
	end
	local pending_text = nil
	if order == nil then
		pending_text = redis.call('GET', keys[4])
		if pending_text == false then
			pending_text = nil
		end
	end
	local plan = decide[ctx.type](ctx, order, pending_text)
	local full = #events >= ORDER_EVENTS_MAX
	if plan.bump and full and ctx.type == 'orders.update' then
		plan = refuse('the order holds ' .. ORDER_EVENTS_MAX ..
		    ' events, its limit: it takes no more updates')
	end
	-- A command that changes nothing is not recorded when its outcome
	-- cannot change (settled), or when the order is at its limit.
	if not plan.bump and (plan.settled or full) then
		plan.unrecorded = true
	end
	return write_plan(keys, ctx, order, plan, events, nlegacy)
end

-- The order hash as a JSON object of its fields (not its events), or nil:
-- the worker's pre-checks before a provider call, and what it sends a
-- provider. Fields stored as JSON text (items, the addresses, metadata)
-- come as JSON, the order number and the amounts as integers, the others
-- as the strings stored ("version":"3", "isDeleted":"0").
local function oms_get(keys, args)
	if #keys ~= 1 or not keys[1]:find('^oms:order:') then
		return einval('oms_get takes 1 key, oms:order:<orderId>')
	end
	local flat = redis.call('HGETALL', keys[1])
	if #flat == 0 then
		return nil
	end
	local m = {}
	for i = 1, #flat, 2 do
		local k, v = flat[i], flat[i + 1]
		if k:sub(1, #EV) ~= EV then
			m[#m + 1] = { k, v, (JSON_FIELDS[k] or INT_FIELDS[k]) and v ~= '' }
		end
	end
	return json_object(m)
end

-- FCALL_RO oms_events 1 oms:order:<orderId>: the order's history as the
-- API shows it, a JSON array oldest first (also of an order in the old
-- layout, and of one without a hash); [] when there is none.
local function oms_events(keys, args)
	if #keys ~= 1 or not keys[1]:find('^oms:order:[^:]+$') then
		return einval('oms_events takes 1 key, oms:order:<orderId>')
	end
	local events = load_events(load_order(keys[1]), keys[1] .. ':events', true)
	local out = {}
	for i, ev in ipairs(events) do
		out[i] = ev_api(ev, i)
	end
	return '[' .. table.concat(out, ',') .. ']'
end

-- FCALL oms_request_cancel 1 oms:order:<orderId> <cancel|delete> <at>
--
-- oms-fcgi's only write to an order (its ACL grants this Function and
-- HSETNX on order hashes, nothing else): before it publishes a cancel or a
-- delete it records, atomically with the check, that the customer's cancel
-- was accepted. Cancel wins exactly (docs/flow.md): the ship step then
-- never ships the order. Answers one of
--   "notfound"          no order hash (its create may still be queued:
--                       the cancel is published and wins over it)
--   "refused:<status>"  a cancel of a shipped or delivered order (409)
--   "noop"              nothing to change: already canceled / deleted
--   "marked"            cancelRequestedAt set (kept if set before)
--   "unmarked"          a delete that cancels nothing (shipped, delivered
--                       or canceled): publish it, no mark
local NOT_CANCELLABLE = { shipped = true, delivered = true }

local function oms_request_cancel(keys, args)
	if #keys ~= 1 or not keys[1]:find('^oms:order:[^:]+$') then
		return einval('oms_request_cancel takes 1 key, oms:order:<orderId>')
	end
	if #args ~= 2 or (args[1] ~= 'cancel' and args[1] ~= 'delete') or
	    not is_time(args[2]) then
		return einval('oms_request_cancel takes cancel|delete and an ' ..
		    'RFC 3339 UTC time with ms')
	end
	local f = redis.call('HMGET', keys[1], 'status', 'isDeleted')
	local status, deleted = f[1], f[2]
	if status == false then
		return 'notfound'
	end
	if args[1] == 'cancel' then
		if status == 'canceled' then
			return 'noop'
		end
		if NOT_CANCELLABLE[status] then
			return 'refused:' .. status
		end
	else
		if deleted == '1' then
			return 'noop'
		end
		if NOT_CANCELLABLE[status] or status == 'canceled' then
			return 'unmarked'
		end
	end
	redis.call('HSETNX', keys[1], 'cancelRequestedAt', args[2])
	return 'marked'
end

redis.register_function('oms_apply', oms_apply)
redis.register_function('oms_request_cancel', oms_request_cancel)
redis.register_function({ function_name = 'oms_get', callback = oms_get,
    flags = { 'no-writes' } })
redis.register_function({ function_name = 'oms_events', callback = oms_events,
    flags = { 'no-writes' } })
