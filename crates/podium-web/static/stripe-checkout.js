// Stripe.js on Podium's pages: the card form turns the card into a payment method (the number
// goes to Stripe, never to Podium), and the second-step page lets the bank check the
// cardholder, then returns to Podium, which asks Stripe how it went.
(function () {
  'use strict';
  if (typeof Stripe !== 'function') return;

  var form = document.getElementById('stripe-form');
  if (form) {
    var stripe = Stripe(form.dataset.key);
    var card = stripe.elements().create('card');
    card.mount('#stripe-card');
    var out = form.querySelector('[data-stripe-error]');
    var fail = function (e) {
      out.textContent = (e && e.message) || form.dataset.failed;
      out.hidden = false;
    };
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      out.hidden = true;
      // Stripe.js makes a PaymentMethod; older stand-ins only make a card token, whose card
      // id pays just the same.
      Promise.resolve(stripe.createPaymentMethod({ type: 'card', card: card }))
        .then(function (r) {
          if (r && r.paymentMethod) {
            var c = r.paymentMethod.card || {};
            return { id: r.paymentMethod.id, brand: c.brand, last4: c.last4 };
          }
          if (r && r.error) throw r.error;
          return stripe.createToken(card).then(function (t) {
            if (t.error) throw t.error;
            return { id: t.token.card.id, brand: t.token.card.brand, last4: t.token.card.last4 };
          });
        })
        .then(function (m) {
          var label = (m.brand || 'card') + ' •••• ' + (m.last4 || '');
          location.href = '/checkout?step=review&pm=' + encodeURIComponent(m.id) + '&card=' + encodeURIComponent(label);
        })
        .catch(fail);
    });
  }

  var action = document.getElementById('stripe-action');
  if (action) {
    var s = Stripe(action.dataset.key);
    var step = s.handleNextAction
      ? s.handleNextAction({ clientSecret: action.dataset.secret })
      : s.confirmCardPayment(action.dataset.secret);
    var status = action.querySelector('[data-stripe-status]');
    Promise.resolve(step)
      .catch(function () { status.textContent = action.dataset.failed; })
      .then(function () { location.href = action.dataset.back; });
  }
})();
