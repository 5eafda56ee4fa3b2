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

and, read-only, FCALL_RO oms_get 1 oms:order:<orderId>. oms-fcgi calls
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
	-- carrierTrackingNumber: the carrier's own value, which delivered is
	-- checked against (the API's fields are frozen from here on too).
	return { outcome = 'applied', to = 'shipped', bump = true,
	    set = { status = 'shipped', shipCompanyId = ctx.data.shipCompanyId,
	    trackingNumber = ctx.data.trackingNumber,
	    carrierTrackingNumber = ctx.data.trackingNumber,
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

-- The event's detail: {"message": ..., "changes": {...}}; changes (the
-- hash fields written, null for a removed one, items as JSON) only when the
-- order changed.
-- Hash fields held as JSON text, and as decimal integers: both go into
-- an event's changes and oms_get's reply as JSON values.
local JSON_FIELDS = { items = true, shippingAddress = true,
    billingAddress = true, metadata = true }
local INT_FIELDS = { orderNumber = true, subtotal = true, shippingTotal = true,
    taxTotal = true, discountTotal = true, total = true }

local function event_detail(plan)
	local changes = nil
	if plan.bump then
		local names, removed = {}, {}
		for k in pairs(plan.set or {}) do
			names[#names + 1] = k
		end
		for _, k in ipairs(plan.del or {}) do
			names[#names + 1], removed[k] = k, true
		end
		table.sort(names)
		local m = {}
		for _, k in ipairs(names) do
			if k ~= 'awaitingCreate' then
				if removed[k] then
					m[#m + 1] = { k, 'null', true }
				elseif JSON_FIELDS[k] or INT_FIELDS[k] then
					m[#m + 1] = { k, plan.set[k], true }
				else
					m[#m + 1] = { k, plan.set[k] }
				end
			end
		end
		changes = json_object(m)
	end
	return json_object({ { 'message', plan.message },
	    { 'changes', changes, true } })
end

local function write_plan(keys, ctx, order, plan)
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
		redis.call('HSET', keys[10], n, ctx.orderId)
	end
	if plan.bump then
		local args = { keys[1] }
		if plan.new then
			for _, kv in ipairs({ { 'id', ctx.orderId }, { 'version', '0' } }) do
				args[#args + 1], args[#args + 2] = kv[1], kv[2]
			end
		end
		for k, v in pairs(plan.set or {}) do
			args[#args + 1], args[#args + 2] = k, v
		end
		args[#args + 1], args[#args + 2] = 'updatedAt', ctx.at
		redis.call('HSET', unpack(args))
		if plan.del and #plan.del > 0 then
			redis.call('HDEL', keys[1], unpack(plan.del))
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

	local fu = json_followups(plan.followUps or {})
	local fields = { 'type', ctx.type, 'commandId', ctx.commandId,
	    'outcome', plan.outcome, 'from', from, 'to', to, 'actor', ctx.actor,
	    'at', ctx.at, 'detail', event_detail(plan), 'followUps', fu,
	    'version', tostring(version) }
	redis.call('XADD', keys[2], '*', unpack(fields))
	redis.call('XADD', keys[7], 'MAXLEN', '~', ctx.eventsCap, '*',
	    'orderId', ctx.orderId, unpack(fields))
	redis.call('SADD', keys[3], ctx.commandId)

	local res = result_json(ctx, plan.outcome, from, to, plan.message, version, fu)
	push_reply(keys, ctx, res)
	return res
end

-- DESIGN §8: "application is exactly-once per commandId" and "its
-- re-application is a no-op that still publishes the follow-ups".
local function replay(keys, ctx, order)
	local ev = nil
	for _, e in ipairs(redis.call('XRANGE', keys[2], '-', '+')) do
		local f = pairs_to_table(e[2])
		if f.commandId == ctx.commandId then
			ev = f
			break
		end
	end
	ev = ev or { outcome = 'applied', from = STATUS_NONE, to = STATUS_NONE,
	    followUps = '[]', type = ctx.type }
	local d = ev.detail and decode(ev.detail)
	local message = is_object(d) and d.message or 'already applied'
	local version = tonumber(order and order.version or '0')
	local c = { type = ev.type or ctx.type, commandId = ctx.commandId,
	    orderId = ctx.orderId }
	local fu = ev.followUps or '[]'
	-- The reply list carries the first outcome, so that a client waiting
	-- with Prefer: wait still sees applied or refused.
	push_reply(keys, ctx, result_json(c, ev.outcome, ev.from, ev.to,
	    message, version, fu, { { 'duplicate', true } }))
	return result_json(c, 'duplicate', ev.from, ev.to, message, version, fu,
	    { { 'firstOutcome', ev.outcome } })
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
	if redis.call('SISMEMBER', keys[3], ctx.commandId) == 1 then
		return replay(keys, ctx, order)
	end
	local pending_text = nil
	if order == nil then
		pending_text = redis.call('GET', keys[4])
		if pending_text == false then
			pending_text = nil
		end
	end
	local plan = decide[ctx.type](ctx, order, pending_text)
	local full = redis.call('XLEN', keys[2]) >= ORDER_EVENTS_MAX
	if plan.bump and full and ctx.type == 'orders.update' then
		plan = refuse('the order holds ' .. ORDER_EVENTS_MAX ..
		    ' events, its limit: it takes no more updates')
	end
	-- A command that changes nothing is not recorded when its outcome
	-- cannot change (settled), or when the order is at its limit.
	if not plan.bump and (plan.settled or full) then
		plan.unrecorded = true
	end
	return write_plan(keys, ctx, order, plan)
end

-- The order hash as a JSON object of its fields, or nil: the worker's
-- pre-checks before a provider call, and what it sends a provider. Fields
-- stored as JSON text (items, the addresses, metadata) come as JSON, the
-- order number and the amounts as integers, the others as the strings
-- stored ("version":"3", "isDeleted":"0").
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
		m[#m + 1] = { k, v, (JSON_FIELDS[k] or INT_FIELDS[k]) and v ~= '' }
	end
	return json_object(m)
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
